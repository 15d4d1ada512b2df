# docker-compose.yml must stay valid (no Docker engine runs here: the file
# is checked, not run).
find_program(SV_DOCKER_COMPOSE docker-compose REQUIRED)
add_test(NAME compose_config
  COMMAND ${SV_DOCKER_COMPOSE} -f ${CMAKE_SOURCE_DIR}/docker-compose.yml
          config --quiet)
