# How revisions are stored: LZ4 against the frozen built-in dictionary, and
# the zstd records of schemas 5 to 7 (made here with libzstd) still read.
sv_add_test(test_revision_codec SOURCES test_revision_codec.c zstd_record.c
  LIBS sv_storage PkgConfig::ZSTD Threads::Threads)
