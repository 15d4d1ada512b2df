sv_add_test(test_config SOURCES test_config.c LIBS sv_common)
