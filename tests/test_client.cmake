# The survey client: JSON <-> wire conversion, reply texts, history diffs,
# the snapshot formats, the lazy-pirate and pipeline transport and the
# rerun polling against a scripted peer, watch against a PUB socket, and
# end-to-end runs of the real `survey` binary against the real collector
# (and aggregator).
sv_add_test(test_client SOURCES test_client.c harness.c
            LIBS sv_client sv_proto PkgConfig::ZMQ)
add_dependencies(test_client survey)
if(TARGET survey-collector)
  add_dependencies(test_client survey-collector)
  target_compile_definitions(test_client PRIVATE SV_HAVE_COLLECTOR=1)
endif()
if(TARGET survey-collector AND TARGET survey-aggregator)
  add_dependencies(test_client survey-aggregator)
  target_compile_definitions(test_client PRIVATE SV_HAVE_AGGREGATOR=1)
endif()
