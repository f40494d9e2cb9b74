// Exercise 09 Config reload: readers must never see a half-written config; TSan silent.
// A writer reloads the config while request handlers read it. The config is a plain
// global written field by field, so a reader can see fields from two versions, and
// ThreadSanitizer reports the race (lesson 09 shows copy-on-write with AtomicValue).
// Check: make exercise NAME=09_atomic_value_cow (built with TSan)
// Note: notes/09_atomic_value_cow.md
#include <array>
#include <cstdint>
#include <memory>

#include "gox/atomic_value.h"

namespace {

// A config of four fields; a consistent config has all four equal to its version.
struct Config {
  std::array<int64_t, 4> fields{};
};

// TODO(exercise): `current` is read and written by different goroutines with no
// synchronisation. Publish whole configs instead (copy-on-write: gox::AtomicValue).
Config current;

}  // namespace

// StoreConfig publishes the config of `version` (every field = version).
void StoreConfig(int64_t version) {
  for (int64_t& f : current.fields) f = version;
}

// LoadConfig returns the current config's fields.
std::array<int64_t, 4> LoadConfig() { return current.fields; }
