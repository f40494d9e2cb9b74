# signals_test spawns tests/signal_child (posix_spawn) for the SIGTERM scenarios.
add_executable(signal_child ${CMAKE_CURRENT_SOURCE_DIR}/signal_child.cpp)
target_link_libraries(signal_child PRIVATE gox::gox)
target_compile_definitions(signals_test PRIVATE GOX_SIGNAL_CHILD="$<TARGET_FILE:signal_child>")
add_dependencies(signals_test signal_child)
