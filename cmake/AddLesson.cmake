# add_lesson(NAME VARIANTS v1 v2 ... [RACY v ...] [ARGS a ...])
# Builds lessons/NAME.cpp into an executable and adds one ctest per variant,
# named lesson.NAME.VARIANT with label `lesson`. Under the tsan preset a variant
# listed in RACY must make TSan print a data-race warning (label `race`), and
# every other variant must leave TSan silent.
function(add_lesson NAME)
  cmake_parse_arguments(L "" "" "VARIANTS;RACY;ARGS" ${ARGN})
  if(NOT L_VARIANTS)
    message(FATAL_ERROR "add_lesson(${NAME}): VARIANTS is required")
  endif()
  add_executable(${NAME} ${CMAKE_CURRENT_SOURCE_DIR}/${NAME}.cpp)
  target_link_libraries(${NAME} PRIVATE gox::gox gox_lesson_support)
  foreach(v IN LISTS L_VARIANTS)
    set(t lesson.${NAME}.${v})
    add_test(NAME ${t} COMMAND ${NAME} --variant=${v} ${L_ARGS})
    set_tests_properties(${t} PROPERTIES LABELS lesson TIMEOUT 120)
    if(GOX_SANITIZER STREQUAL "thread")
      if(v IN_LIST L_RACY)
        set_tests_properties(${t} PROPERTIES
          PASS_REGULAR_EXPRESSION "WARNING: ThreadSanitizer: data race"
          LABELS "lesson;race")
      else()
        set_tests_properties(${t} PROPERTIES
          FAIL_REGULAR_EXPRESSION "WARNING: ThreadSanitizer")
      endif()
    endif()
  endforeach()
endfunction()
