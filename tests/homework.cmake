# homework_test spawns the real homework binary (black box) and parses JSON.
target_compile_definitions(homework_test PRIVATE GOX_HOMEWORK_BIN="$<TARGET_FILE:homework>")
add_dependencies(homework_test homework)
target_link_libraries(homework_test PRIVATE Poco::JSON Poco::Foundation)
