#include "gox/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gox {
namespace {

constexpr int kMaxSig = NSIG;  // valid signals are 1 .. kMaxSig - 1

// Written by the handler, read by the dispatcher. Lock-free atomics are
// async-signal-safe.
std::atomic<bool> g_pending[kMaxSig];
std::atomic<int> g_wake_fd{-1};

extern "C" void GoxSignalHandler(int sig) {
  int saved = errno;
  if (sig > 0 && sig < kMaxSig) g_pending[sig].store(true);
  int fd = g_wake_fd.load();
  if (fd >= 0) {
    char b = 1;
    ssize_t r = ::write(fd, &b, 1);  // a full pipe is fine: the dispatcher wakes anyway
    (void)r;
  }
  errno = saved;
}

bool IsFaultSignal(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
         sig == SIGSYS;
}

// The asynchronous signals an empty list means (Go: "all incoming signals").
std::vector<int> AllAsyncSignals() {
  std::vector<int> v = {SIGHUP,  SIGINT,  SIGQUIT,   SIGUSR1, SIGUSR2,  SIGPIPE, SIGALRM,
                        SIGTERM, SIGCHLD, SIGCONT,   SIGTSTP, SIGTTIN,  SIGTTOU, SIGURG,
                        SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,   SIGPWR};
  for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) v.push_back(s);
  return v;
}

std::vector<int> CheckedSignals(std::initializer_list<int> sigs) {
  if (sigs.size() == 0) return AllAsyncSignals();
  std::vector<int> out;
  for (int s : sigs) {
    if (s <= 0 || s >= kMaxSig) {
      throw Panic("os/signal: invalid signal " + std::to_string(s));
    }
    if (s == SIGKILL || s == SIGSTOP || IsFaultSignal(s)) {
      throw Panic("os/signal: cannot relay " + SignalName(s));
    }
    out.push_back(s);
  }
  return out;
}

// Hub is the process-wide subscription table. Leaked on purpose (signals may
// arrive while static destructors run).
class Hub {
 public:
  static Hub& Get() {
    static Hub* h = new Hub;
    return *h;
  }

  // Add subscribes (ch or fn) to sigs; id 0 means "find the subscription of ch".
  uint64_t Add(Chan<int> ch, std::function<void(int)> fn, const std::vector<int>& sigs) {
    std::lock_guard control(control_mu_);
    EnsurePipe();
    std::vector<int> enable;
    uint64_t id;
    {
      std::lock_guard lock(sub_mu_);
      Sub* sub = nullptr;
      if (!ch.IsNil()) {
        for (Sub& s : subs_) {
          if (!s.ch.IsNil() && s.ch == ch) sub = &s;
        }
      }
      if (sub == nullptr) {
        subs_.push_back(Sub{next_id_++, std::move(ch), std::move(fn), {}});
        sub = &subs_.back();
      }
      id = sub->id;
      for (int s : sigs) {
        if (sub->sigs[s]) continue;
        sub->sigs[s] = true;
        if (count_[s]++ == 0) enable.push_back(s);
      }
    }
    for (int s : enable) Enable(s);
    if (!dispatcher_.joinable()) StartDispatcher();
    Wake();  // the dispatcher re-reads which signals to unblock
    return id;
  }

  // Remove drops the subscription of ch (or with id); restores dispositions.
  void Remove(const Chan<int>* ch, uint64_t id) {
    std::lock_guard control(control_mu_);
    std::vector<int> disable;
    bool none_left;
    {
      std::lock_guard lock(sub_mu_);
      auto it = subs_.begin();
      for (; it != subs_.end(); ++it) {
        if (ch != nullptr ? (!it->ch.IsNil() && it->ch == *ch) : it->id == id) break;
      }
      if (it == subs_.end()) return;
      for (int s = 1; s < kMaxSig; ++s) {
        if (it->sigs[s] && --count_[s] == 0) disable.push_back(s);
      }
      subs_.erase(it);
      none_left = subs_.empty();
    }
    for (int s : disable) Disable(s);
    if (none_left) {
      StopDispatcher();
    } else {
      Wake();
    }
  }

  bool DispatcherRunning() {
    std::lock_guard control(control_mu_);
    return dispatcher_.joinable();
  }

 private:
  struct Sub {
    uint64_t id;
    Chan<int> ch;                 // a NotifySignals subscription, or nil
    std::function<void(int)> fn;  // a NotifyContext subscription; must not block
    std::array<bool, kMaxSig> sigs;
  };

  void EnsurePipe() {
    if (read_fd_ >= 0) return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Panic("os/signal: pipe2 failed");
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    read_fd_ = fds[0];
    g_wake_fd.store(fds[1]);
  }

  void Enable(int s) {  // control_mu_ held
    g_pending[s].store(false);
    struct sigaction sa {};
    sa.sa_handler = GoxSignalHandler;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(s, &sa, &saved_[s]);
  }

  void Disable(int s) {  // control_mu_ held
    ::sigaction(s, &saved_[s], nullptr);
  }

  void Wake() {
    char b = 0;
    ssize_t r = ::write(g_wake_fd.load(), &b, 1);
    (void)r;
  }

  void StartDispatcher() {  // control_mu_ held
    // The new thread starts with every signal blocked; Loop unblocks its own.
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &old);
    starter_mask_ = old;
    stop_.store(false);
    try {
      dispatcher_ = std::thread([this] { Loop(); });
    } catch (...) {
      ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw;
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void StopDispatcher() {  // control_mu_ held
    if (!dispatcher_.joinable()) return;
    stop_.store(true);
    Wake();
    dispatcher_.join();
  }

  // Unmask lets the subscribed signals (and the fault signals) reach this thread.
  void Unmask() {
    sigset_t set;
    sigfillset(&set);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&set, s);
    {
      std::lock_guard lock(sub_mu_);
      for (int s = 1; s < kMaxSig; ++s) {
        if (count_[s] > 0) sigdelset(&set, s);
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &set, nullptr);
  }

  void Loop() {
    char buf[64];
    for (;;) {
      // Wait in poll(), not read(): GCC 12's TSan defers a signal that
      // arrives during read() until read() returns, which with a self-pipe is
      // never; poll() is one of its "blocking calls" that take signals at once.
      pollfd p{read_fd_, POLLIN, 0};
      if (::poll(&p, 1, -1) < 0) continue;
      ssize_t n = ::read(read_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (stop_.load()) return;
      Unmask();
      Deliver();
    }
  }

  void Deliver() {
    std::lock_guard lock(sub_mu_);
    for (int s = 1; s < kMaxSig; ++s) {
      if (!g_pending[s].load(std::memory_order_relaxed) || !g_pending[s].exchange(false)) continue;
      for (Sub& sub : subs_) {
        if (!sub.sigs[s]) continue;
        if (sub.fn) {
          // fn may start goroutines (AfterFunc); their threads must inherit a
          // normal mask, not this thread's block-almost-everything one.
          sigset_t mine;
          ::pthread_sigmask(SIG_SETMASK, &starter_mask_, &mine);
          sub.fn(s);
          ::pthread_sigmask(SIG_SETMASK, &mine, nullptr);
          continue;
        }
        try {
          sub.ch.TrySend(s);
        } catch (const std::exception& e) {
          // Go would crash the process here (send on closed channel).
          std::fprintf(stderr, "gox: signal %s dropped: %s\n", SignalName(s).c_str(), e.what());
        }
      }
    }
  }

  std::mutex control_mu_;  // serialises Add/Remove, signal dispositions, the thread
  std::mutex sub_mu_;      // guards subs_, count_, next_id_; deliveries happen under it
  std::vector<Sub> subs_;
  int count_[kMaxSig] = {};  // subscriptions per signal
  uint64_t next_id_ = 1;
  struct sigaction saved_[kMaxSig] = {};  // control_mu_: dispositions before Enable
  std::thread dispatcher_;                // control_mu_
  std::atomic<bool> stop_{false};
  sigset_t starter_mask_{};  // the starting thread's mask; written before the dispatcher starts
  int read_fd_ = -1;         // control_mu_ (set once, before the dispatcher starts)
};

}  // namespace

void NotifySignals(Chan<int> ch, std::initializer_list<int> sigs) {
  if (ch.IsNil()) throw Panic("os/signal: Notify using nil channel");
  std::vector<int> checked = CheckedSignals(sigs);
  Hub::Get().Add(std::move(ch), nullptr, checked);
}

void StopSignals(Chan<int> ch) {
  if (ch.IsNil()) return;
  Hub::Get().Remove(&ch, 0);
}

std::pair<Context, CancelFunc> NotifyContext(Context parent, std::initializer_list<int> sigs) {
  std::vector<int> checked = CheckedSignals(sigs);
  auto [ctx, cancel] = WithCancelCause(std::move(parent));
  uint64_t id = Hub::Get().Add(
      Chan<int>(), [cancel = cancel](int s) { cancel(SignalError(s)); }, checked);
  CancelFunc stop = [cancel = cancel, id] {
    cancel(Error());
    Hub::Get().Remove(nullptr, id);
  };
  return {ctx, stop};
}

std::string SignalName(int sig) {
  if (sig > 0 && sig < kMaxSig) {
    if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  return "signal " + std::to_string(sig);
}

Error SignalError(int sig) {
  static std::mutex mu;
  static std::array<Error, kMaxSig>* errors = new std::array<Error, kMaxSig>;
  if (sig <= 0 || sig >= kMaxSig) return Error::New("signal received: " + SignalName(sig));
  std::lock_guard lock(mu);
  Error& e = (*errors)[sig];
  if (!e) e = Error::New("signal received: " + SignalName(sig));
  return e;
}

namespace detail {
bool SignalDispatcherRunning() { return Hub::Get().DispatcherRunning(); }
}  // namespace detail

}  // namespace gox
