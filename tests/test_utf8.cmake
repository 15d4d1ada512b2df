# UTF-8 validation: the edges of the rule (RFC 3629) that sheets and
# answers are checked against.
sv_add_test(test_utf8 SOURCES test_utf8.c LIBS sv_questionnaire)
