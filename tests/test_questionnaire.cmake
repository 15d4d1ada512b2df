# The questionnaire model: loading data/r6 and the fixture sheets (every
# loading error), and every validation rule.
sv_add_test(test_questionnaire SOURCES test_questionnaire.c
            LIBS sv_questionnaire)
