#include "gox/detail/timer_queue.h"

#include <condition_variable>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace gox::detail {
namespace {

// TimerQueue is leaked on purpose (its thread runs until the process exits).
class TimerQueue {
 public:
  static TimerQueue& Get() {
    static TimerQueue* q = new TimerQueue;
    return *q;
  }

  uint64_t Schedule(Clock::time_point when, std::function<void()> fn) {
    std::lock_guard lock(mu_);
    if (!started_) {
      std::thread([this] { Loop(); }).detach();
      started_ = true;
    }
    uint64_t id = next_id_++;
    entries_.emplace(Key{when, id}, std::move(fn));
    when_.emplace(id, when);
    if (when < wake_at_) cv_.notify_one();  // only if it sleeps past `when`
    return id;
  }

  bool Cancel(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = when_.find(id);
    if (it == when_.end()) return false;
    entries_.erase(Key{it->second, id});
    when_.erase(it);
    return true;
  }

  std::size_t Pending() {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  using Key = std::pair<Clock::time_point, uint64_t>;

  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (entries_.empty()) {
        wake_at_ = Clock::time_point::max();
        cv_.wait(lock);
        wake_at_ = Clock::time_point::min();
        continue;
      }
      auto first = entries_.begin();
      if (Clock::now() < first->first.first) {
        // Copy the deadline: wait_until re-reads it after re-locking, and a
        // CancelTimer meanwhile may have erased the entry it lives in.
        const Clock::time_point when = first->first.first;
        wake_at_ = when;
        cv_.wait_until(lock, when);
        wake_at_ = Clock::time_point::min();
        continue;
      }
      std::function<void()> fn = std::move(first->second);
      when_.erase(first->first.second);
      entries_.erase(first);
      lock.unlock();
      try {
        fn();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: timer callback threw: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "gox: timer callback threw\n");
      }
      fn = nullptr;  // release captures outside the lock
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, std::function<void()>> entries_;          // guarded by mu_
  std::unordered_map<uint64_t, Clock::time_point> when_;  // guarded by mu_
  uint64_t next_id_ = 1;                                  // guarded by mu_
  bool started_ = false;                                  // guarded by mu_
  // When the thread will wake by itself (max: never; min: it is awake and
  // will look at entries_ before sleeping again); guarded by mu_.
  Clock::time_point wake_at_ = Clock::time_point::min();
};

}  // namespace

uint64_t ScheduleAt(Clock::time_point when, std::function<void()> fn) {
  return TimerQueue::Get().Schedule(when, std::move(fn));
}
bool CancelTimer(uint64_t id) { return TimerQueue::Get().Cancel(id); }
std::size_t PendingTimers() { return TimerQueue::Get().Pending(); }

}  // namespace gox::detail
