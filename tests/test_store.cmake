# Storage layer: real LMDB in private temporary directories.
sv_add_test(test_store SOURCES test_store.c zstd_record.c LIBS sv_storage PkgConfig::ZSTD PkgConfig::SODIUM)
