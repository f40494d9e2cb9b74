// error.h: gox::Error (Go's `error`) and gox::Panic (a Go panic).
//   Error          a value; default-constructed is nil; copies are the same error.
//   Error::New(m)  a new distinct error (two New("x") are different, like Go).
//   Wrap(err, m)   an error whose Message() is "m: " + err.Message(); nil stays nil.
//   Is(err, t)     true if err or anything it wraps is t (identity, not text).
//   Panic          thrown for Go's panics; what() is exactly Go's text.
// Ordering: an Error is immutable once made, so copies may cross threads freely.
// Invalid: nothing; Message() of nil is "<nil>", as fmt prints a nil error.
#pragma once

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

namespace gox {

// Panic is a Go panic: thrown (not abort) so gox::Go can recover it.
class Panic : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class Error;
namespace detail {
struct ErrorRep;
}

class Error {
 public:
  // Error() is the nil error.
  Error() = default;

  // New returns a new error with message msg, distinct from every other error.
  static Error New(std::string msg);
  // FromException returns an error whose message is prefix + what() of e (or
  // "unknown exception"), keeping e for Exception(). A null e gives nil.
  static Error FromException(std::exception_ptr e, const std::string& prefix = "");

  explicit operator bool() const { return rep_ != nullptr; }
  // Message is Go's err.Error(): the whole text including wrapped messages.
  std::string Message() const;
  // Unwrap returns the error this one wraps, or nil.
  Error Unwrap() const;
  // Exception returns the exception this error was made from, or null.
  std::exception_ptr Exception() const;

  // operator== compares identity: an error equals its copies, and nothing else.
  friend bool operator==(const Error& a, const Error& b) { return a.rep_ == b.rep_; }

 private:
  friend Error Wrap(Error err, std::string msg);
  explicit Error(std::shared_ptr<const detail::ErrorRep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const detail::ErrorRep> rep_;
};

// Wrap returns an error wrapping err with context msg; Wrap(nil, msg) is nil.
Error Wrap(Error err, std::string msg);
// Is reports whether err or any error in its wrap chain is target.
bool Is(const Error& err, const Error& target);

}  // namespace gox
