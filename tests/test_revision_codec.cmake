# How revisions are stored: zstd against the frozen built-in dictionary.
sv_add_test(test_revision_codec SOURCES test_revision_codec.c
  LIBS sv_storage Threads::Threads)
