# SPDX-License-Identifier: MIT
# One benchmark binary's smoke run in a cross build, for ctest
# (bench/CMakeLists.txt): BINARY runs through EMULATOR as ci/bench.sh --smoke
# runs it natively (one repetition of at least 1 ms, at most 1,000
# tasklets, the larger cases reported as not run), then report.py judges
# its JSON: a benchmark that failed fails the test; a baseline missing at
# build time or a case that cannot run here does not. The figures mean
# nothing under emulation.
#
#   cmake -DEMULATOR=<command;args> -DBINARY=<benchmark> -DJSON=<out.json>
#         -DPYTHON=<python3> -DREPORT=<bench/report.py> -P smoke.cmake
foreach(var BINARY JSON PYTHON REPORT)
  if(NOT ${var})
    message(FATAL_ERROR "smoke.cmake: -D${var}=... is missing")
  endif()
endforeach()

get_filename_component(json_dir "${JSON}" DIRECTORY)
file(MAKE_DIRECTORY "${json_dir}")
file(REMOVE "${JSON}")
execute_process(
  COMMAND ${EMULATOR} "${BINARY}" --benchmark_repetitions=1
    --benchmark_report_aggregates_only=true --benchmark_min_time=0.001
    --benchmark_enable_random_interleaving=false
    --benchmark_out=${JSON} --benchmark_out_format=json --slp_max_tasklets=1000
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "smoke.cmake: ${BINARY} failed (${status})")
endif()
execute_process(COMMAND "${PYTHON}" "${REPORT}" "${JSON}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "smoke.cmake: report.py found a failed benchmark in ${JSON} (${status})")
endif()
