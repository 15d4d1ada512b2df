# The survey client: JSON <-> wire conversion, reply texts, history diffs,
# the lazy-pirate and pipeline transport against a scripted peer, and
# end-to-end runs of the real `survey` binary against the real collector.
sv_add_test(test_client SOURCES test_client.c harness.c
            LIBS sv_client sv_proto PkgConfig::ZMQ)
add_dependencies(test_client survey)
if(TARGET survey-collector)
  add_dependencies(test_client survey-collector)
  target_compile_definitions(test_client PRIVATE SV_HAVE_COLLECTOR=1)
endif()
