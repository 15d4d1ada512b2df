# The submission packer of storage/: protobuf-c's bytes exactly.
sv_add_test(test_submission_pack SOURCES test_submission_pack.c
  LIBS sv_storage)
