// atomic_value.h: gox::AtomicValue<T>, Go's atomic.Value used copy-on-write: a
// writer builds a whole new immutable T and publishes it; readers get a snapshot.
//   Load()                 the current value (nullptr before the first Store).
//   Store(v)               publishes v. Swap(v) publishes v and returns the old one.
//   CompareAndSwap(o, v)   publishes v only if the current value is o (pointer
//                          identity, not T's ==); nullptr o matches "never stored".
// A value is never half-written: T is immutable once published. Ordering: what a
// writer did before publishing v is visible to every thread whose Load returns v.
// Panics: Store/Swap/CompareAndSwap of nullptr (Go's nil store).
//
// How (and why not std::atomic<std::shared_ptr>): libstdc++ 12's atomic<shared_ptr>
// is not lock-free (a spin bit in the pointer) and ThreadSanitizer reports races
// inside it. Here a version counter is the only shared word a reader touches in
// the steady state: each thread caches (version, value) and takes the internal
// mutex only on its first Load after a change, to copy one pointer; writers take
// it to swap one pointer. Readers never hold it while T is read: a reader delays a
// writer at most by one pointer copy (unless the OS preempts it right then, as
// with any lock); old values are freed outside it. Returned pointers share a per-thread
// control block (no cache-line ping-pong between readers). A thread's cache keeps
// the value it last loaded alive until its next Load of that AtomicValue (or its
// next first Load of a new AtomicValue<T> after this one died, or its exit).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "gox/error.h"

namespace gox {

template <class T>
class AtomicValue {
 public:
  AtomicValue() : token_(std::make_shared<char>(0)) {}
  AtomicValue(const AtomicValue&) = delete;
  AtomicValue& operator=(const AtomicValue&) = delete;

  // Load returns the current value without blocking on writers.
  std::shared_ptr<const T> Load() const {
    Slot& s = Local();
    if (s.version != version_.load(std::memory_order_acquire)) {
      std::shared_ptr<const T> v;
      uint64_t version;
      {
        std::lock_guard lock(mu_);
        v = cur_;
        version = version_.load(std::memory_order_relaxed);
      }
      s.holder = std::make_shared<const std::shared_ptr<const T>>(std::move(v));
      s.version = version;
    }
    if (!s.holder || !*s.holder) return nullptr;
    return std::shared_ptr<const T>(s.holder, s.holder->get());  // aliasing copy
  }

  // Store publishes v. Panics if v is nullptr.
  void Store(std::shared_ptr<const T> v) {
    if (!v) throw Panic("sync/atomic: store of nil value into Value");
    Publish(std::move(v));
  }

  // Swap publishes v and returns the previous value (nullptr if none).
  std::shared_ptr<const T> Swap(std::shared_ptr<const T> v) {
    if (!v) throw Panic("sync/atomic: swap of nil value into Value");
    return Publish(std::move(v));
  }

  // CompareAndSwap publishes v if the current value is old (same object).
  bool CompareAndSwap(const std::shared_ptr<const T>& old, std::shared_ptr<const T> v) {
    if (!v) throw Panic("sync/atomic: compare and swap of nil value into Value");
    std::shared_ptr<const T> prev;  // destroyed after the lock is released
    std::lock_guard lock(mu_);
    if (cur_.get() != old.get()) return false;
    prev = std::exchange(cur_, std::move(v));
    version_.fetch_add(1, std::memory_order_release);
    return true;
  }

 private:
  // Slot is one thread's cache for one AtomicValue; owner expires with it.
  struct Slot {
    std::weak_ptr<char> owner;
    const char* key = nullptr;
    uint64_t version = 0;  // 0 = "nothing stored", matching version_'s start
    std::shared_ptr<const std::shared_ptr<const T>> holder;
  };

  std::shared_ptr<const T> Publish(std::shared_ptr<const T> v) {
    std::lock_guard lock(mu_);
    std::shared_ptr<const T> prev = std::exchange(cur_, std::move(v));
    version_.fetch_add(1, std::memory_order_release);
    return prev;
  }

  // Local returns this thread's slot for this AtomicValue (made on first use;
  // slots of destroyed AtomicValues are swept then).
  // A one-entry cache of plain thread_locals (no TLS guard) makes the common
  // case, one AtomicValue read over and over, two loads and a compare.
  Slot& Local() const {
    static thread_local const char* last_key = nullptr;
    static thread_local Slot* last_slot = nullptr;
    if (last_key == token_.get()) return *last_slot;
    static thread_local std::vector<std::unique_ptr<Slot>> slots;
    Slot* found = nullptr;
    for (auto& s : slots) {
      if (s->key == token_.get()) found = s.get();  // its weak_ptr pins the address
    }
    if (found == nullptr) {
      std::erase_if(slots, [](const auto& s) { return s->owner.expired(); });
      slots.push_back(std::make_unique<Slot>(Slot{token_, token_.get(), 0, nullptr}));
      found = slots.back().get();
    }
    last_key = token_.get();
    last_slot = found;
    return *found;
  }

  mutable std::mutex mu_;             // guards cur_; writers, and readers' refresh
  std::shared_ptr<const T> cur_;      // guarded by mu_
  std::atomic<uint64_t> version_{0};  // bumped (under mu_) by every publish
  std::shared_ptr<char> token_;       // identity for the per-thread slots
};

}  // namespace gox
