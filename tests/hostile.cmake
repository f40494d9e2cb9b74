# hostile_test: the homework and gox::Server under hostile clients (slow
# headers, floods, bad requests, fuzz, the debug door). It spawns the homework
# binary and calls the homework's debug handler directly. ctest label `hostile`.
add_executable(hostile_test ${CMAKE_CURRENT_SOURCE_DIR}/hostile_clients.cpp
                            ${PROJECT_SOURCE_DIR}/homework/handlers.cpp
                            ${PROJECT_SOURCE_DIR}/homework/log.cpp)
target_include_directories(hostile_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                                ${PROJECT_SOURCE_DIR}/homework)
target_link_libraries(hostile_test PRIVATE gox::gox GTest::gtest GTest::gmock GTest::gtest_main
                                           Poco::JSON Poco::Foundation)
target_compile_definitions(hostile_test PRIVATE GOX_HOMEWORK_BIN="$<TARGET_FILE:homework>")
add_dependencies(hostile_test homework)
gtest_discover_tests(hostile_test DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 240 LABELS hostile)
