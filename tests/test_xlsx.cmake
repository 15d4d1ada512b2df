# The Excel outputs of `survey snapshot`: the workbook (read back with
# Debian's python3-openpyxl by check_xlsx.py) and the Excel CSV filter.
sv_add_test(test_xlsx SOURCES test_xlsx.c LIBS sv_client sv_proto)
