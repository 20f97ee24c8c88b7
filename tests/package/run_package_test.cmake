# Tests the installed package from an outside project (ctest: package.outside_project):
#   cmake --install <strata build> --prefix <work>/prefix
#   configure and build tests/package with -DCMAKE_PREFIX_PATH=<work>/prefix, run it, compare its output
#   with expected_output.txt.
# Inputs (-D): STRATA_BUILD_DIR, PACKAGE_SOURCE_DIR, WORK_DIR, GENERATOR, CXX_COMPILER, SANITIZE (may be empty).
# The prefix is installed afresh each run, so a header missing from the install cannot hide behind an old
# copy; the outside build directory is kept, so an unchanged run only relinks or does nothing.
cmake_minimum_required(VERSION 3.20)

foreach(var STRATA_BUILD_DIR PACKAGE_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_package_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${ARGN}\n--- stdout ---\n${out}\n--- stderr ---\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE "${prefix}")
run_step("cmake --install" "${CMAKE_COMMAND}" --install "${STRATA_BUILD_DIR}" --prefix "${prefix}")

set(configure_args -S "${PACKAGE_SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DCMAKE_BUILD_TYPE=Release)
if(SANITIZE)
  # A sanitized libstrata needs the runtime linked into the executable too.
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
       "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
endif()
run_step("configuring tests/package" "${CMAKE_COMMAND}" ${configure_args})
run_step("building tests/package" "${CMAKE_COMMAND}" --build "${build}")

# Its output goes to a pipe, so the summary is Keras's 76 columns there; a COLUMNS from the caller's
# environment would change that.
unset(ENV{COLUMNS})
execute_process(COMMAND "${build}/package_test" RESULT_VARIABLE result OUTPUT_VARIABLE actual ERROR_VARIABLE err)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "package_test exited with ${result}\n--- stdout ---\n${actual}\n--- stderr ---\n${err}")
endif()
file(READ "${PACKAGE_SOURCE_DIR}/expected_output.txt" expected)
if(NOT actual STREQUAL expected)
  file(WRITE "${WORK_DIR}/actual_output.txt" "${actual}")
  message(FATAL_ERROR "package_test output differs from ${PACKAGE_SOURCE_DIR}/expected_output.txt "
                      "(actual output saved as ${WORK_DIR}/actual_output.txt)\n"
                      "--- expected ---\n${expected}\n--- actual ---\n${actual}")
endif()
message(STATUS "package_test output matches expected_output.txt")
