# Crash safety: the collector and the aggregator SIGKILLed at random moments
# under load and restarted on the same LMDB environment (test_crash.c).
if(TARGET survey-aggregator)
  find_package(Threads REQUIRED)
  sv_add_test(test_crash SOURCES test_crash.c harness.c
              LIBS sv_storage sv_proto PkgConfig::ZMQ PkgConfig::SODIUM
                   Threads::Threads)
  add_dependencies(test_crash survey-collector survey-aggregator)
endif()
