// Exercise 09 Config reload, reference solution: copy-on-write through gox::AtomicValue.
#include <array>
#include <cstdint>
#include <memory>

#include "gox/atomic_value.h"

namespace {

// A config of four fields; a consistent config has all four equal to its version.
struct Config {
  std::array<int64_t, 4> fields{};
};

// current holds an immutable config; a reload builds a new one and swaps the pointer.
gox::AtomicValue<Config> current;

}  // namespace

// StoreConfig publishes the config of `version` (every field = version).
void StoreConfig(int64_t version) {
  auto next = std::make_shared<Config>();
  for (int64_t& f : next->fields) f = version;
  current.Store(std::move(next));
}

// LoadConfig returns the current config's fields (all zero before the first store).
std::array<int64_t, 4> LoadConfig() {
  std::shared_ptr<const Config> c = current.Load();
  return c ? c->fields : std::array<int64_t, 4>{};
}
