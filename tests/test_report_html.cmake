# The HTML report (clients/report_html.c): a hand-built snapshot rendered
# and checked as text (figures, escaping, no script, no external URL, one
# bar per rate), then in a real headless Chromium (DOM dump and
# screenshot, kept in ${CMAKE_BINARY_DIR}/test_report_html/). Chromium is
# a required test dependency (tools/deps.sh installs it).
sv_add_test(test_report_html SOURCES test_report_html.c
            LIBS sv_client sv_proto)
