# The bare POCO hello server that bench/http_load.sh compares the homework with.
add_executable(poco_hello ${CMAKE_CURRENT_SOURCE_DIR}/poco_hello.cpp)
target_link_libraries(poco_hello PRIVATE Poco::Net Poco::Foundation Threads::Threads)
