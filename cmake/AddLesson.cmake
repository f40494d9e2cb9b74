# add_lesson(NAME VARIANTS v1 v2 ... [RACY v ...] [ARGS a ...] [OPTIMIZED])
# Builds lessons/NAME.cpp into an executable and adds one ctest per variant, named
# lesson.NAME.VARIANT with label `lesson`. Each test runs the variant through
# cmake/run_lesson.sh, which requires exit 0 and a last `result:` line that matches the
# variant's pattern in lessons/NAME.expect (see that script).
# Under the tsan preset a variant listed in RACY must make TSan print a data-race
# warning (label `race`; its exit status is TSan's, its result line is still checked),
# and every other variant must leave TSan silent.
# OPTIMIZED: the lesson measures time, so it is built with -O2 in every preset.
# Every lesson prints its build first ("build: dev -O0"): GOX_LESSON_BUILD below.

# gox_lesson_build_name sets OUT to the preset-like name of this build: tsan, asan,
# dev (Debug), release (Release), else the lower-case build type.
function(gox_lesson_build_name OUT)
  if(GOX_SANITIZER STREQUAL "thread")
    set(n tsan)
  elseif(GOX_SANITIZER STREQUAL "address")
    set(n asan)
  elseif(CMAKE_BUILD_TYPE STREQUAL "Debug")
    set(n dev)
  elseif(CMAKE_BUILD_TYPE STREQUAL "Release")
    set(n release)
  elseif(CMAKE_BUILD_TYPE)
    string(TOLOWER "${CMAKE_BUILD_TYPE}" n)
  else()
    set(n default)
  endif()
  set(${OUT} ${n} PARENT_SCOPE)
endfunction()

# gox_lesson_opt_level sets OUT to the -O level the compiler ends up with: the last
# -O flag of CMAKE_CXX_FLAGS followed by CMAKE_CXX_FLAGS_<CONFIG> (none: 0).
function(gox_lesson_opt_level OUT)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" cfg)
  set(flags "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${cfg}}")
  string(REGEX MATCHALL "(^| )-O[0-9sgz]?" opts "${flags}")
  set(level 0)
  foreach(o IN LISTS opts)
    string(STRIP "${o}" o)
    string(SUBSTRING "${o}" 2 -1 level)
    if(level STREQUAL "")
      set(level 1)
    endif()
  endforeach()
  set(${OUT} ${level} PARENT_SCOPE)
endfunction()

set(GOX_RUN_LESSON ${CMAKE_CURRENT_LIST_DIR}/run_lesson.sh)

function(add_lesson NAME)
  cmake_parse_arguments(L "OPTIMIZED" "" "VARIANTS;RACY;ARGS" ${ARGN})
  if(NOT L_VARIANTS)
    message(FATAL_ERROR "add_lesson(${NAME}): VARIANTS is required")
  endif()
  set(expect ${CMAKE_CURRENT_SOURCE_DIR}/${NAME}.expect)
  if(NOT EXISTS ${expect})
    message(FATAL_ERROR "add_lesson(${NAME}): ${expect} is missing (one `VARIANT REGEX` a line)")
  endif()
  add_executable(${NAME} ${CMAKE_CURRENT_SOURCE_DIR}/${NAME}.cpp)
  target_link_libraries(${NAME} PRIVATE gox::gox gox_lesson_support)
  gox_lesson_build_name(build)
  if(L_OPTIMIZED)
    target_compile_options(${NAME} PRIVATE -O2)
    set(opt 2)
  else()
    gox_lesson_opt_level(opt)
  endif()
  target_compile_definitions(${NAME} PRIVATE "GOX_LESSON_BUILD=\"${build} -O${opt}\"")
  foreach(v IN LISTS L_VARIANTS)
    set(t lesson.${NAME}.${v})
    set(racy_under_tsan OFF)
    if(GOX_SANITIZER STREQUAL "thread" AND v IN_LIST L_RACY)
      set(racy_under_tsan ON)
    endif()
    set(exit_rule --exit0)
    if(racy_under_tsan)
      set(exit_rule --any-exit)  # TSan exits 66 after a report; the PASS regex decides
    endif()
    add_test(NAME ${t}
             COMMAND bash ${GOX_RUN_LESSON} ${exit_rule} ${expect} ${v} --
                     ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:${NAME}> --variant=${v}
                     ${L_ARGS})
    set_tests_properties(${t} PROPERTIES LABELS lesson TIMEOUT 120
                                         FAIL_REGULAR_EXPRESSION "run_lesson: FAIL")
    if(racy_under_tsan)
      set_tests_properties(${t} PROPERTIES
        PASS_REGULAR_EXPRESSION "WARNING: ThreadSanitizer: data race"
        LABELS "lesson;race")
    elseif(GOX_SANITIZER STREQUAL "thread")
      set_tests_properties(${t} PROPERTIES
        FAIL_REGULAR_EXPRESSION "WARNING: ThreadSanitizer;run_lesson: FAIL")
    endif()
  endforeach()
endfunction()
