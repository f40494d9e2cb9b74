#include "gox/error.h"

namespace gox {
namespace detail {
struct ErrorRep {
  std::string msg;  // the full message, wrapped text included
  Error wrapped;
  std::exception_ptr exc;
};
}  // namespace detail

Error Error::New(std::string msg) {
  return Error(std::make_shared<const detail::ErrorRep>(detail::ErrorRep{std::move(msg), {}, {}}));
}

Error Error::FromException(std::exception_ptr e, const std::string& prefix) {
  if (!e) return Error();
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
  }
  return Error(
      std::make_shared<const detail::ErrorRep>(detail::ErrorRep{prefix + what, {}, std::move(e)}));
}

std::string Error::Message() const { return rep_ ? rep_->msg : "<nil>"; }
Error Error::Unwrap() const { return rep_ ? rep_->wrapped : Error(); }
std::exception_ptr Error::Exception() const { return rep_ ? rep_->exc : nullptr; }

Error Wrap(Error err, std::string msg) {
  if (!err) return Error();
  std::string full = std::move(msg) + ": " + err.Message();
  return Error(std::make_shared<const detail::ErrorRep>(
      detail::ErrorRep{std::move(full), std::move(err), {}}));
}

bool Is(const Error& err, const Error& target) {
  for (Error e = err; e; e = e.Unwrap()) {
    if (e == target) return true;
  }
  return !err && !target;
}

}  // namespace gox
