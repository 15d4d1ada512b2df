if(TARGET survey-aggregator)
  sv_add_test(test_engine SOURCES test_engine.c
              LIBS sv_aggregate sv_storage sv_questionnaire)
endif()
