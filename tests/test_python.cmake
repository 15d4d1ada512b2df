# The contract from another language: protoc's Python classes + python3-zmq
# (Debian packages) against the real collector.
find_program(SV_PROTOC protoc REQUIRED)
find_program(SV_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
set(SV_PB2_DIR ${CMAKE_CURRENT_BINARY_DIR}/python)
add_custom_command(
  OUTPUT ${SV_PB2_DIR}/survey_pb2.py
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SV_PB2_DIR}
  COMMAND ${SV_PROTOC} --python_out=${SV_PB2_DIR}
          -I${CMAKE_SOURCE_DIR}/proto ${CMAKE_SOURCE_DIR}/proto/survey.proto
  DEPENDS ${CMAKE_SOURCE_DIR}/proto/survey.proto
  COMMENT "protoc --python_out survey.proto")
add_custom_target(survey_pb2 ALL DEPENDS ${SV_PB2_DIR}/survey_pb2.py)
add_test(NAME test_python
  COMMAND ${SV_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/test_python.py
          --collector $<TARGET_FILE:survey-collector>
          --survey-dir ${CMAKE_SOURCE_DIR}/data
          --pb2-dir ${SV_PB2_DIR})
set_tests_properties(test_python PROPERTIES TIMEOUT 120)
