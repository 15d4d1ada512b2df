find_program(SV_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
add_test(NAME seed_converter COMMAND ${SV_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/seed2jsonl.py --check)
