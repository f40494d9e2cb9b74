// pool.h: gox::Pool<T>, Go's sync.Pool: a cache of reusable temporary objects.
//   Get()   returns a cached object, or new_fn() when none is cached (nullptr if
//           new_fn is empty, as a Pool without New returns nil).
//   Put(x)  offers x for reuse; Put(nullptr) does nothing.
// Each thread keeps a few objects of its own (Get/Put touch no shared memory then);
// overflow goes to one shared, mutex-guarded list of bounded size. Objects may be
// dropped at any time (a full list, a thread's exit): never rely on Get returning
// what Put stored, and reset an object's state yourself before reuse.
// Ordering: what a thread wrote to x before Put(x) is visible to the thread whose
// Get returns x. Thread-safe. A thread's cached objects outlive a destroyed Pool
// until that thread next uses a Pool<T> or exits.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace gox {

template <class T>
class Pool {
 public:
  static constexpr std::size_t kLocalCap = 4;     // objects each thread keeps
  static constexpr std::size_t kSharedCap = 256;  // objects in the shared list

  explicit Pool(std::function<std::unique_ptr<T>()> new_fn)
      : new_fn_(std::move(new_fn)), shared_(std::make_shared<Shared>()) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Get returns an object from this thread's cache, else from the shared list,
  // else a new one from new_fn.
  std::unique_ptr<T> Get() {
    std::vector<std::unique_ptr<T>>& local = Local();
    if (!local.empty()) {
      std::unique_ptr<T> x = std::move(local.back());
      local.pop_back();
      return x;
    }
    {
      std::lock_guard lock(shared_->mu);
      if (!shared_->items.empty()) {
        std::unique_ptr<T> x = std::move(shared_->items.back());
        shared_->items.pop_back();
        return x;
      }
    }
    return new_fn_ ? new_fn_() : nullptr;
  }

  // Put offers x for reuse; x may be dropped (destroyed) instead.
  void Put(std::unique_ptr<T> x) {
    if (!x) return;
    std::vector<std::unique_ptr<T>>& local = Local();
    if (local.size() < kLocalCap) {
      local.push_back(std::move(x));
      return;
    }
    std::lock_guard lock(shared_->mu);
    if (shared_->items.size() < kSharedCap) shared_->items.push_back(std::move(x));
  }  // else x is dropped here

 private:
  struct Shared {
    std::mutex mu;
    std::vector<std::unique_ptr<T>> items;  // guarded by mu
  };
  // Slot is one thread's cache for one Pool; owner expires when the Pool dies.
  struct Slot {
    std::weak_ptr<Shared> owner;
    const Shared* key;
    std::vector<std::unique_ptr<T>> items;
  };

  // Local returns this thread's cache for this Pool (made on first use; slots of
  // destroyed Pools are swept then).
  std::vector<std::unique_ptr<T>>& Local() {
    static thread_local std::vector<Slot> slots;
    for (Slot& s : slots) {
      // The slot's weak_ptr pins its Shared's memory (make_shared: one block),
      // so no later Pool's Shared can reuse a key still in this list.
      if (s.key == shared_.get()) return s.items;
    }
    std::erase_if(slots, [](const Slot& s) { return s.owner.expired(); });
    slots.push_back(Slot{shared_, shared_.get(), {}});
    slots.back().items.reserve(kLocalCap);
    return slots.back().items;
  }

  std::function<std::unique_ptr<T>()> new_fn_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace gox
