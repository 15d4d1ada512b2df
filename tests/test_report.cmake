# The report's tables: percentages, denominators under relevance, by-type
# splits, listings, incremental == fresh, and the seed report reproduced
# from data/r6/responses.jsonl (needs ../shared/seed beside the repo).
sv_add_test(test_report SOURCES test_report.c
            LIBS sv_aggregate sv_questionnaire PkgConfig::JANSSON)
