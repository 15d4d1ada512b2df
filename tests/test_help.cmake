# Every long option of survey-collector and survey-aggregator (their
# longopts tables, which --config files use too) is listed in its --help,
# and so is exit status 2, which a bad option gets.
foreach(prog collector aggregator)
  if(TARGET survey-${prog})
    add_test(NAME test_help_${prog}
      COMMAND sh -c "opts=$(sed -n '/longopts\\[\\] = {/,/{NULL, 0, NULL, 0}/p' \"$0\" | sed -n 's/^ *{\"\\([a-z-]*\\)\".*/\\1/p'); [ -n \"$opts\" ] || { echo 'no options read from' \"$0\"; exit 1; }; help=$(\"$1\" --help) || exit 1; for o in $opts; do printf '%s\\n' \"$help\" | grep -q -- \"--$o\\b\" || { echo \"--$o is not in --help\"; exit 1; }; done; printf '%s\\n' \"$help\" | grep -q '2: bad command line' || { echo 'exit status 2 is not in --help'; exit 1; }; \"$1\" --no-such-option >/dev/null 2>&1; r=$?; [ $r -eq 2 ] || { echo \"a bad option: exit $r, not 2\"; exit 1; }"
      ${CMAKE_SOURCE_DIR}/${prog}/main.c $<TARGET_FILE:survey-${prog}>)
  endif()
endforeach()
