# The compact record: round trips of every question type, the layout
# fingerprint and the refusal of foreign records.
sv_add_test(test_compact SOURCES test_compact.c LIBS sv_questionnaire)
