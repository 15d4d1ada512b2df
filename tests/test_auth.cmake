sv_add_test(test_auth SOURCES test_auth.c harness.c
            LIBS sv_common sv_proto PkgConfig::ZMQ)
add_dependencies(test_auth survey-collector)
