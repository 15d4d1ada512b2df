sv_add_test(test_collector SOURCES test_collector.c harness.c
            LIBS sv_proto sv_questionnaire PkgConfig::ZMQ PkgConfig::LMDB)
add_dependencies(test_collector survey-collector)
