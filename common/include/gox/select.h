// select.h: gox::Select, Go's `select` statement.
//   Select(RecvCase(ch, f), SendCase(ch, v, g), Default(h))
//   RecvCase(ch, f)     f(std::optional<T>) gets the value, or nullopt if ch is closed.
//   SendCase(ch, v, f)  f() runs after v was delivered.
//   Default(f)          runs only when no other case is ready (at most one).
// Select commits exactly one case, chosen uniformly at random among the ready
// ones; without Default it parks (no polling) until one is ready. Nil-channel
// cases are never ready. Returns the argument position of the case that ran.
// Ordering: as for the Send/Recv the case performs. The case's function runs
// after the channels are unlocked, on the calling thread.
// Panics: a SendCase on a closed channel (when chosen), as in Go.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "gox/chan.h"

namespace gox {
namespace detail {

template <class T, class F>
class RecvCaseT final : public SelectCase {
 public:
  RecvCaseT(Chan<T> ch, F f) : ch_(std::move(ch)), f_(std::move(f)) {
    chan = ch_.State();
    is_send = false;
  }
  Fast TryFast() override { return ch_.State()->TryRecvFast(&value_); }
  Try TryLocked(Wakes* wake) override { return ch_.State()->TryRecvLocked(&value_, wake); }
  void* Elem() override { return &value_; }
  void Finish(bool ok) override {
    if (!ok) value_.reset();
    if constexpr (std::is_invocable_v<F&, std::optional<T>>) {
      f_(std::move(value_));
    } else {
      static_assert(std::is_invocable_v<F&>, "RecvCase: f must take std::optional<T> or nothing");
      f_();
    }
  }

 private:
  Chan<T> ch_;
  F f_;
  std::optional<T> value_;
};

template <class T, class F>
class SendCaseT final : public SelectCase {
 public:
  SendCaseT(Chan<T> ch, T v, F f) : ch_(std::move(ch)), v_(std::move(v)), f_(std::move(f)) {
    chan = ch_.State();
    is_send = true;
  }
  Fast TryFast() override { return ch_.State()->TrySendFast(v_); }
  Try TryLocked(Wakes* wake) override { return ch_.State()->TrySendLocked(v_, wake); }
  void* Elem() override { return &v_; }
  void Finish(bool) override { f_(); }

 private:
  Chan<T> ch_;
  T v_;
  F f_;
};

template <class F>
struct DefaultCaseT {
  F f;
};

template <class C>
struct IsDefault : std::false_type {};
template <class F>
struct IsDefault<DefaultCaseT<F>> : std::true_type {};

}  // namespace detail

// RecvCase is `case v, ok := <-ch:`; f receives std::optional<T> (nullopt: closed).
template <class T, class F>
detail::RecvCaseT<T, std::decay_t<F>> RecvCase(Chan<T> ch, F&& f) {
  return {std::move(ch), std::forward<F>(f)};
}

// SendCase is `case ch <- v:`; f runs once v was delivered.
template <class T, class V, class F>
detail::SendCaseT<T, std::decay_t<F>> SendCase(Chan<T> ch, V&& v, F&& f) {
  return {std::move(ch), T(std::forward<V>(v)), std::forward<F>(f)};
}

// Default is `default:`; it runs only when no other case is ready.
template <class F>
detail::DefaultCaseT<std::decay_t<F>> Default(F&& f) {
  return {std::forward<F>(f)};
}

// Select runs one ready case (see the file comment) and returns its position.
template <class... Cases>
std::size_t Select(Cases&&... cases) {
  constexpr std::size_t kDefaults = (0 + ... + detail::IsDefault<std::decay_t<Cases>>::value);
  static_assert(kDefaults <= 1, "Select: at most one Default");
  constexpr std::size_t kN = sizeof...(Cases) - kDefaults;
  std::array<detail::SelectCase*, kN == 0 ? 1 : kN> ops{};
  std::array<std::size_t, kN == 0 ? 1 : kN> pos{};  // argument position of ops[i]
  std::size_t default_pos = 0;
  std::size_t next = 0, arg = 0;
  [[maybe_unused]] auto collect = [&](auto& c) {  // unused for Select() (Go: select {})
    if constexpr (detail::IsDefault<std::decay_t<decltype(c)>>::value) {
      default_pos = arg;
    } else {
      ops[next] = &c;
      pos[next] = arg;
      ++next;
    }
    ++arg;
  };
  (collect(cases), ...);
  std::size_t i = detail::RunSelect(ops.data(), kN, kDefaults == 1);
  if (i < kN) return pos[i];
  [[maybe_unused]] auto run_default = [&](auto& c) {
    if constexpr (detail::IsDefault<std::decay_t<decltype(c)>>::value) c.f();
  };
  (run_default(cases), ...);
  return default_pos;
}

}  // namespace gox
