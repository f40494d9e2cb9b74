// Tests for error.h: gox::Error (Go's error values) and gox::Panic.
#include "gox/error.h"

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

TEST(ErrorTest, DefaultIsNil) {
  gox::Error err;
  EXPECT_FALSE(err);
  EXPECT_TRUE(err == gox::Error());
  EXPECT_FALSE(err.Unwrap());
  EXPECT_EQ(err.Exception(), nullptr);
  static_assert(!std::is_convertible_v<gox::Error, bool>, "operator bool must be explicit");
}

TEST(ErrorTest, MessageOfNilIsNilText) { EXPECT_EQ(gox::Error().Message(), "<nil>"); }

TEST(ErrorTest, NewHasIdentity) {
  gox::Error a = gox::Error::New("x");
  gox::Error b = gox::Error::New("x");
  EXPECT_TRUE(a);
  EXPECT_EQ(a.Message(), "x");
  EXPECT_EQ(b.Message(), "x");
  EXPECT_FALSE(a == b);  // same text, different errors (Go's errors.New)
  gox::Error copy = a;
  EXPECT_TRUE(copy == a);  // copies are the same error
  EXPECT_FALSE(a == gox::Error());
}

TEST(ErrorTest, WrapPrefixesTheMessage) {
  gox::Error inner = gox::Error::New("inner");
  gox::Error outer = gox::Wrap(inner, "ctx");
  EXPECT_EQ(outer.Message(), "ctx: inner");
  EXPECT_TRUE(outer.Unwrap() == inner);
  EXPECT_FALSE(outer == inner);
  EXPECT_EQ(gox::Wrap(outer, "top").Message(), "top: ctx: inner");
}

TEST(ErrorTest, WrapOfNilIsNil) {
  gox::Error wrapped = gox::Wrap(gox::Error(), "ctx");
  EXPECT_FALSE(wrapped);
  EXPECT_EQ(wrapped.Message(), "<nil>");
}

TEST(ErrorTest, IsWalksTheWrapChain) {
  gox::Error sentinel = gox::Error::New("not found");
  gox::Error chain = gox::Wrap(gox::Wrap(gox::Wrap(sentinel, "a"), "b"), "c");
  EXPECT_TRUE(gox::Is(chain, sentinel));
  EXPECT_TRUE(gox::Is(sentinel, sentinel));
  EXPECT_TRUE(gox::Is(chain, chain));
  EXPECT_FALSE(gox::Is(sentinel, chain));                      // only downwards
  EXPECT_FALSE(gox::Is(chain, gox::Error::New("not found")));  // identity, not text
  EXPECT_FALSE(gox::Is(chain, gox::Error()));
  EXPECT_FALSE(gox::Is(gox::Error(), sentinel));
  EXPECT_TRUE(gox::Is(gox::Error(), gox::Error()));  // errors.Is(nil, nil)
}

TEST(ErrorTest, FromExceptionKeepsTheExceptionPtr) {
  std::exception_ptr ep;
  try {
    throw std::runtime_error("disk full");
  } catch (...) {
    ep = std::current_exception();
  }
  gox::Error err = gox::Error::FromException(ep, "panic: ");
  ASSERT_TRUE(err);
  EXPECT_EQ(err.Message(), "panic: disk full");
  EXPECT_EQ(err.Exception(), ep);
  try {
    std::rethrow_exception(err.Exception());
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
  // Wrapping keeps the chain; the wrapper has no exception of its own.
  gox::Error w = gox::Wrap(err, "load");
  EXPECT_EQ(w.Message(), "load: panic: disk full");
  EXPECT_TRUE(gox::Is(w, err));
  EXPECT_EQ(w.Unwrap().Exception(), ep);
}

TEST(ErrorTest, FromExceptionOfNonStdAndNull) {
  std::exception_ptr ep;
  try {
    throw 7;
  } catch (...) {
    ep = std::current_exception();
  }
  gox::Error err = gox::Error::FromException(ep);
  EXPECT_TRUE(err);
  EXPECT_EQ(err.Message(), "unknown exception");
  EXPECT_EQ(err.Exception(), ep);
  EXPECT_FALSE(gox::Error::FromException(nullptr));
}

TEST(ErrorTest, PanicIsALogicErrorWithGoText) {
  static_assert(std::is_base_of_v<std::logic_error, gox::Panic>);
  try {
    throw gox::Panic("sync: negative WaitGroup counter");
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "sync: negative WaitGroup counter");  // no prefix
  }
}

}  // namespace
