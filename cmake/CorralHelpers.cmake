# corral_add_library(<name> SOURCES ... [DEPS public targets] [PRIVATE_DEPS ...] [COPTS ...])
# corral_add_test(<name> SOURCES ... [DEPS ...] [LABELS ...])   GoogleTest, discovered at ctest time

add_library(corral_options INTERFACE)
target_compile_options(corral_options INTERFACE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(CORRAL_WERROR)
  target_compile_options(corral_options INTERFACE -Werror)
endif()
if(CORRAL_SANITIZE)
  target_compile_options(corral_options INTERFACE -fsanitize=${CORRAL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(corral_options INTERFACE -fsanitize=${CORRAL_SANITIZE})
endif()
target_compile_definitions(corral_options INTERFACE
  CORRAL_TESTDATA_DIR="${CORRAL_TESTDATA_DIR}"
  CORRAL_REPO_DIR="${CORRAL_SOURCE_DIR}")

function(corral_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;COPTS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CORRAL_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} corral_options PRIVATE ${ARG_PRIVATE_DEPS})
  if(ARG_COPTS)
    target_compile_options(${name} PRIVATE ${ARG_COPTS})
  endif()
endfunction()

function(corral_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${CORRAL_SOURCE_DIR}/src ${CORRAL_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} corral_options GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    CORRAL_SMOLLM2_GGUF="${CORRAL_SMOLLM2_GGUF}"
    CORRAL_PYTHON="${CORRAL_PYTHON}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # gtest_discover_tests writes PROPERTIES unquoted, so a second label would be read as a property
  # name: join the labels into one ("unit,malformed"); `ctest -L` matches labels by regex.
  string(REPLACE ";" "," _labels "${ARG_LABELS}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
    PROPERTIES LABELS "${_labels}")
endfunction()

# corral_add_py_test(<name> SCRIPT path [ARGS ...] [LABELS ...]): a Python check run with the venv.
function(corral_add_py_test name)
  cmake_parse_arguments(ARG "" "SCRIPT" "ARGS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS python)
  endif()
  add_test(NAME ${name} COMMAND ${CORRAL_PYTHON} ${ARG_SCRIPT} ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "CORRAL_BIN=$<TARGET_FILE:corral>;CORRAL_SMOLLM2_GGUF=${CORRAL_SMOLLM2_GGUF};CORRAL_TESTDATA_DIR=${CORRAL_TESTDATA_DIR};CORRAL_REPO_DIR=${CORRAL_SOURCE_DIR}")
endfunction()
