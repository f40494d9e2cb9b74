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
// Handles: a case keeps a temporary handle (RecvCase(ctx.Done(), f)) alive, and
// only refers to a named one (no reference count touched per Select): write the
// cases inside the Select call, as in Go, or keep their channels alive.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "gox/chan.h"

namespace gox {
namespace detail {

// CaseChan is a case's channel: a temporary handle is moved in and kept; a
// named one is only pointed to (no shared_ptr count traffic on each Select).
template <class T>
class CaseChan {
 public:
  explicit CaseChan(const Chan<T>& ch) : s_(ch.State()) {}
  explicit CaseChan(Chan<T>&& ch) : kept_(std::move(ch)), s_(kept_.State()) {}
  ChanState<T>* operator->() const { return s_; }
  ChanState<T>* get() const { return s_; }

 private:
  Chan<T> kept_;
  ChanState<T>* s_;
};

template <class T, class F>
class RecvCaseT final : public SelectCase {
 public:
  template <class C>
  RecvCaseT(C&& ch, F f) : ch_(std::forward<C>(ch)), f_(std::move(f)) {
    chan = ch_.get();
    is_send = false;
  }
  Fast TryFast() override { return ch_->TryRecvFast(&value_); }
  Try TryLocked(Wakes* wake) override { return ch_->TryRecvLocked(&value_, wake); }
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
  CaseChan<T> ch_;
  F f_;
  std::optional<T> value_;
};

template <class T, class F>
class SendCaseT final : public SelectCase {
 public:
  template <class C>
  SendCaseT(C&& ch, T v, F f) : ch_(std::forward<C>(ch)), v_(std::move(v)), f_(std::move(f)) {
    chan = ch_.get();
    is_send = true;
  }
  Fast TryFast() override { return ch_->TrySendFast(v_); }
  Try TryLocked(Wakes* wake) override { return ch_->TrySendLocked(v_, wake); }
  void* Elem() override { return &v_; }
  void Finish(bool) override { f_(); }

 private:
  CaseChan<T> ch_;
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
detail::RecvCaseT<T, std::decay_t<F>> RecvCase(const Chan<T>& ch, F&& f) {
  return {ch, std::forward<F>(f)};
}
template <class T, class F>
detail::RecvCaseT<T, std::decay_t<F>> RecvCase(Chan<T>&& ch, F&& f) {
  return {std::move(ch), std::forward<F>(f)};
}

// SendCase is `case ch <- v:`; f runs once v was delivered.
template <class T, class V, class F>
detail::SendCaseT<T, std::decay_t<F>> SendCase(const Chan<T>& ch, V&& v, F&& f) {
  return {ch, T(std::forward<V>(v)), std::forward<F>(f)};
}
template <class T, class V, class F>
detail::SendCaseT<T, std::decay_t<F>> SendCase(Chan<T>&& ch, V&& v, F&& f) {
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
  [[maybe_unused]] auto run_default = [&](auto& c) {
    if constexpr (detail::IsDefault<std::decay_t<decltype(c)>>::value) c.f();
  };
  if constexpr (kN == 1 && kDefaults == 1) {
    // One case and Default (Go compiles it to a non-blocking send or receive):
    // the lock-free attempt decides unless only the locked path can tell (see
    // "Non-blocking checks" in detail/chan_state.h). Called on the concrete case.
    detail::Fast f = detail::Fast::kNotReady;
    auto try_fast = [&](auto& c) {
      if constexpr (!detail::IsDefault<std::decay_t<decltype(c)>>::value) {
        if (c.chan != nullptr) f = c.TryFast();
      }
    };
    (try_fast(cases), ...);
    if (f == detail::Fast::kDone) {
      ops[0]->Finish(true);
      return pos[0];
    }
    if (f == detail::Fast::kNotReady) {
      (run_default(cases), ...);
      return default_pos;
    }
  }
  std::size_t i = detail::RunSelect(ops.data(), kN, kDefaults == 1);
  if (i < kN) return pos[i];
  (run_default(cases), ...);
  return default_pos;
}

}  // namespace gox
