# The collector's decoder of submissions: protobuf-c's message exactly.
sv_add_test(test_request_decode SOURCES test_request_decode.c
  LIBS sv_collector)
