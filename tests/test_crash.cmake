# Crash safety: the collector and the aggregator SIGKILLed at random moments
# under load and restarted on the same LMDB environment; the collector's
# data file rebuilt as power cuts could have left it (test_crash.c).
if(TARGET survey-aggregator)
  find_package(Threads REQUIRED)
  # LD_PRELOADed into the collector: logs its writes and flushes of
  # data.mdb (writelog.h). Never sanitized: it runs before ASan's runtime.
  add_library(sv_writelog_shim SHARED writelog_shim.c)
  target_compile_options(sv_writelog_shim PRIVATE -fno-sanitize=all)
  target_link_options(sv_writelog_shim PRIVATE -fno-sanitize=all)
  target_link_libraries(sv_writelog_shim PRIVATE ${CMAKE_DL_LIBS}
                        Threads::Threads)
  sv_add_test(test_crash SOURCES test_crash.c harness.c writelog.c contract_digest.c
              LIBS sv_storage sv_proto PkgConfig::ZMQ PkgConfig::SODIUM
                   Threads::Threads)
  target_compile_definitions(test_crash PRIVATE
    SV_WRITELOG_SHIM="$<TARGET_FILE:sv_writelog_shim>")
  add_dependencies(test_crash survey-collector survey-aggregator
                   sv_writelog_shim)
endif()
