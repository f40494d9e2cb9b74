# mutex_test also checks lesson 10's teaching locks, which live in the lesson kit.
target_link_libraries(mutex_test PRIVATE gox_lesson_support)
