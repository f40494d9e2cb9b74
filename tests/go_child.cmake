# go_process_test spawns tests/go_child (posix_spawn) for scenarios that need a fresh process.
add_executable(go_child ${CMAKE_CURRENT_SOURCE_DIR}/go_child.cpp)
target_link_libraries(go_child PRIVATE gox::gox)
target_compile_definitions(go_process_test PRIVATE GOX_GO_CHILD="$<TARGET_FILE:go_child>")
add_dependencies(go_process_test go_child)
