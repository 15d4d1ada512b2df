if(TARGET survey-aggregator)
  sv_add_test(test_aggregator SOURCES test_aggregator.c harness.c
              LIBS sv_common sv_proto PkgConfig::ZMQ)
  add_dependencies(test_aggregator survey-collector survey-aggregator survey)
endif()
