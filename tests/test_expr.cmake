#The expression language of the questionnaire : every operator and function,
#the comparison rules, and malformed expressions with their offsets.
sv_add_test(test_expr SOURCES test_expr.c LIBS sv_questionnaire)
