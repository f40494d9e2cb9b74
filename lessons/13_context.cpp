// 13 Context: cancellation tree, timeouts, values (inform, don't control).
// Cancel one branch of a context tree: what stops, what keeps running? Does a slow
// call give up at the request's deadline? What may a context carry?
// Watch: `tree` cancels a (a, a1, a2 stop with "context canceled") while root and b
// run on, then cancels root (b stops); `timeout` returns "context deadline exceeded"
// at ~100 ms from a 200 ms dependency, and a child's own longer timeout does not
// extend the parent's deadline; `value` shows typed keys, nearest wins, no collisions,
// and why a parameter read from ctx is a hidden input.
// Variants: tree (default), timeout, value.
// Run: build/dev/lessons/13_context --variant=timeout
// Note: notes/13_context.md
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "lesson.h"

namespace {

using Ms = std::chrono::duration<double, std::milli>;
constexpr gox::Duration kWatchdog = std::chrono::seconds(3);  // bounds every wait

double NowMs() { return Ms(lesson::Elapsed()).count(); }

std::string ErrText(const gox::Error& e) { return e ? e.Message() : std::string("nil"); }

// We give each node of the tree a goroutine that waits for its ctx.Done() (or a
// watchdog) and reports when it stopped and with which Err().
struct Stop {
  std::string name;
  double at_ms = 0;
  std::string err;
};

void Watch(const std::string& name, gox::Context ctx, gox::Chan<Stop> stops) {
  gox::Go([name, ctx, stops]() mutable {
    gox::Timer watchdog(kWatchdog);
    bool done = false;
    gox::Select(gox::RecvCase(ctx.Done(), [&] { done = true; }),
                gox::RecvCase(watchdog.C(), [] {}));
    stops.Send(Stop{name, NowMs(), done ? ErrText(ctx.Err()) : std::string("watchdog")});
  });
}

// Collect receives n stop reports, each wait bounded by the watchdog.
bool Collect(gox::Chan<Stop>& stops, int n, std::vector<Stop>* out) {
  for (int i = 0; i < n; ++i) {
    gox::Timer watchdog(kWatchdog);
    bool got = false;
    gox::Select(gox::RecvCase(stops,
                              [&](std::optional<Stop> s) {
                                got = s.has_value();
                                if (got) out->push_back(*s);
                              }),
                gox::RecvCase(watchdog.C(), [] {}));
    if (!got) return false;
  }
  return true;
}

const Stop* Find(const std::vector<Stop>& v, const std::string& name) {
  for (const auto& s : v)
    if (s.name == name) return &s;
  return nullptr;
}

// Line is one stop as text: "a    stopped at 37.0ms  Err=context canceled".
// Without the name (for the tree): "stopped at 37.0ms  Err=context canceled".
std::string Line(const std::vector<Stop>& v, const std::string& name, bool with_name = true) {
  const Stop* s = Find(v, name);
  char buf[96];
  if (s == nullptr) return (with_name ? name + " " : std::string()) + "still running";
  std::snprintf(buf, sizeof buf, "%s%sstopped at %7.1fms  Err=%s", with_name ? name.c_str() : "",
                with_name ? " " : "", s->at_ms, s->err.c_str());
  return buf;
}

// NoneWaiting is true if no stop report is queued right now (a non-blocking receive).
bool NoneWaiting(gox::Chan<Stop>& stops) {
  bool none = false;
  gox::Select(gox::RecvCase(stops, [](std::optional<Stop>) {}), gox::Default([&] { none = true; }));
  return none;
}

int RunTree() {
  auto [root, cancel_root] = gox::WithCancel(gox::Background());
  auto [a, cancel_a] = gox::WithCancel(root);
  auto [b, cancel_b] = gox::WithCancel(root);
  auto [a1, cancel_a1] = gox::WithCancel(a);
  auto [a2, cancel_a2] = gox::WithCancel(a);
  gox::Chan<Stop> stops(5);
  Watch("root", root, stops);
  Watch("a", a, stops);
  Watch("b", b, stops);
  Watch("a1", a1, stops);
  Watch("a2", a2, stops);
  lesson::Say("tree: root -> a, b; a -> a1, a2; one goroutine waits on each Done()");

  // We cancel the middle node a: its subtree stops, its parent and sibling don't.
  gox::Sleep(std::chrono::milliseconds(20));  // a pause to see the times apart, not a handshake
  lesson::Say("cancel(a)");
  cancel_a();
  std::vector<Stop> first;
  bool ok = Collect(stops, 3, &first);
  for (const auto& s : first) lesson::Say("  %s", Line(first, s.name).c_str());
  const bool others_run = !root.Err() && !b.Err() && NoneWaiting(stops);
  lesson::Say("  root.Err()=%s  b.Err()=%s, no other stop reported: root and b run on",
              ErrText(root.Err()).c_str(), ErrText(b.Err()).c_str());
  ok = ok && Find(first, "a") && Find(first, "a1") && Find(first, "a2") && others_run;

  // We cancel the root: what is left of the tree stops with it.
  gox::Sleep(std::chrono::milliseconds(20));
  lesson::Say("cancel(root)");
  cancel_root();
  std::vector<Stop> second;
  ok = Collect(stops, 2, &second) && ok;
  for (const auto& s : second) lesson::Say("  %s", Line(second, s.name).c_str());
  cancel_b();  // idempotent here: every context is done; calling them is still the rule
  cancel_a1();
  cancel_a2();

  std::vector<Stop> all = first;
  all.insert(all.end(), second.begin(), second.end());
  lesson::Say("who stopped when:");
  lesson::Say("  root            %s", Line(all, "root", false).c_str());
  lesson::Say("  ├── a           %s", Line(all, "a", false).c_str());
  lesson::Say("  │   ├── a1      %s", Line(all, "a1", false).c_str());
  lesson::Say("  │   └── a2      %s", Line(all, "a2", false).c_str());
  lesson::Say("  └── b           %s", Line(all, "b", false).c_str());
  for (const auto& s : all) ok = ok && s.err == "context canceled";
  ok = ok && Find(second, "root") && Find(second, "b");
  if (!ok) {
    lesson::Result("tree: NOT shown: a stop was missing, early, or not \"context canceled\"");
    return 1;
  }
  lesson::Result(
      "tree: cancel(a) stopped a, a1, a2 (context canceled) while root and b ran on; "
      "cancel(root) then stopped root and b");
  return 0;
}

// We model a slow dependency that honours ctx: its work takes `work`, but it
// gives up as soon as ctx is done. If both are ready, the deadline wins.
gox::Error SlowDependency(const gox::Context& ctx, gox::Duration work) {
  gox::Timer t(work);
  gox::Select(gox::RecvCase(t.C(), [] {}), gox::RecvCase(ctx.Done(), [] {}));
  return ctx.Err();
}

std::string DeadlineText(const gox::Context& ctx, gox::Clock::time_point t0) {
  auto d = ctx.Deadline();
  if (!d) return "none";
  char buf[48];
  std::snprintf(buf, sizeof buf, "start+%.1fms", Ms(*d - t0).count());
  return buf;
}

int RunTimeout() {
  using std::chrono::milliseconds;
  const auto dep = milliseconds(200);

  // We first call the dependency with no deadline, to see that it takes 200 ms.
  auto t0 = gox::Clock::now();
  gox::Error err = SlowDependency(gox::Background(), dep);
  const double free_ms = Ms(gox::Clock::now() - t0).count();
  lesson::Say("no deadline: Deadline()=%s, dependency returned %s after %.1fms",
              DeadlineText(gox::Background(), t0).c_str(), ErrText(err).c_str(), free_ms);

  // We give the request 100 ms: the dependency gives up at the deadline.
  t0 = gox::Clock::now();
  auto [req, cancel] = gox::WithTimeout(gox::Background(), milliseconds(100));
  lesson::Say("request: WithTimeout(100ms), Deadline()=%s", DeadlineText(req, t0).c_str());
  err = SlowDependency(req, dep);
  const double req_ms = Ms(gox::Clock::now() - t0).count();
  lesson::Say("request: dependency returned \"%s\" after %.1fms", ErrText(err).c_str(), req_ms);
  cancel();
  const bool req_ok = err == gox::DeadlineExceeded && req_ms >= 99.0;

  // We give a child its own, longer timeout: the effective deadline is the min.
  t0 = gox::Clock::now();
  auto [parent, cancel_p] = gox::WithTimeout(gox::Background(), milliseconds(100));
  auto [child, cancel_c] = gox::WithTimeout(parent, milliseconds(500));
  lesson::Say("parent: WithTimeout(100ms), Deadline()=%s", DeadlineText(parent, t0).c_str());
  lesson::Say("child:  WithTimeout(parent, 500ms), Deadline()=%s", DeadlineText(child, t0).c_str());
  err = SlowDependency(child, dep);
  const double child_ms = Ms(gox::Clock::now() - t0).count();
  lesson::Say("child:  dependency returned \"%s\" after %.1fms; parent.Err()=%s",
              ErrText(err).c_str(), child_ms, ErrText(parent.Err()).c_str());
  const bool same = child.Deadline() == parent.Deadline();
  cancel_c();
  cancel_p();

  if (!(free_ms >= 199.0 && req_ok && same && err == gox::DeadlineExceeded)) {
    lesson::Result("timeout: NOT shown (see the lines above)");
    return 1;
  }
  lesson::Result(
      "timeout: the 200ms dependency returned context deadline exceeded after %.0fms under "
      "WithTimeout(100ms); a child's own 500ms timeout kept the parent's deadline and ended "
      "after %.0fms",
      req_ms, child_ms);
  return 0;
}

// We define the request-scoped keys the way a package would: unexported, typed.
const gox::ContextKey<std::string> kTraceId("trace-id");
const gox::ContextKey<std::string> kUser("user");
// Another package's key that happens to have the same name and type.
const gox::ContextKey<std::string> kOtherTraceId("trace-id");
// The anti-pattern: a key carrying a parameter that changes behaviour.
const gox::ContextKey<int> kLimit("limit");

std::string Get(const gox::Context& ctx, const gox::ContextKey<std::string>& k) {
  const std::string* v = ctx.Value(k);
  return v ? "\"" + *v + "\"" : std::string("nullptr");
}

// Log uses values to inform: the trace id and user go into the log line only.
void Log(const gox::Context& ctx, const char* msg) {
  lesson::Say("  log trace=%s user=%s: %s", Get(ctx, kTraceId).c_str(), Get(ctx, kUser).c_str(),
              msg);
}

// SearchHidden reads its limit from ctx: a hidden input (the course: don't).
int SearchHidden(const gox::Context& ctx) {
  const int* limit = ctx.Value(kLimit);
  return limit ? *limit : 0;  // forgotten by a caller -> silently 0 results
}
// Search takes its limit as a parameter: the signature says what it needs.
int Search(const gox::Context& ctx, int limit) {
  Log(ctx, "search");
  return limit;
}

int RunValue() {
  gox::Context req = gox::WithValue(gox::Background(), kTraceId, std::string("t-42"));
  req = gox::WithValue(req, kUser, std::string("alice"));
  lesson::Say("request: WithValue(trace-id=t-42), WithValue(user=alice)");
  Log(req, "handler start");

  // We derive: values flow down through cancel/timeout children; nearest wins.
  auto [span, cancel] = gox::WithTimeout(req, std::chrono::seconds(1));
  gox::Context inner = gox::WithValue(span, kTraceId, std::string("t-42/db"));
  Log(inner, "db call (inner WithValue(trace-id=t-42/db))");
  Log(req, "back in the handler: the parent is unchanged");
  const bool nearest = *inner.Value(kTraceId) == "t-42/db" && *req.Value(kTraceId) == "t-42" &&
                       Get(inner, kUser) == "\"alice\"";

  // We add a value under another key with the same name "trace-id": no collision.
  gox::Context other = gox::WithValue(req, kOtherTraceId, std::string("evil"));
  lesson::Say("same name, other key: Value(kTraceId)=%s Value(kOtherTraceId)=%s",
              Get(other, kTraceId).c_str(), Get(other, kOtherTraceId).c_str());
  lesson::Say("Background().Value(kTraceId)=%s", Get(gox::Background(), kTraceId).c_str());
  const bool no_collision = *other.Value(kTraceId) == "t-42" &&
                            *other.Value(kOtherTraceId) == "evil" &&
                            gox::Background().Value(kTraceId) == nullptr;

  // We show why a value must not control: the limit hides in ctx.
  gox::Context with_limit = gox::WithValue(req, kLimit, 10);
  const int hidden_set = SearchHidden(with_limit);
  const int hidden_forgot = SearchHidden(req);
  lesson::Say(
      "don't: SearchHidden(ctx) reads limit from ctx: %d results with it, %d when a "
      "caller forgot WithValue (it still compiled)",
      hidden_set, hidden_forgot);
  const int explicit_n = Search(req, 10);
  lesson::Say("do:    Search(ctx, limit=10): %d results; ctx carries only trace-id and user",
              explicit_n);
  cancel();

  if (!(nearest && no_collision && hidden_forgot == 0 && explicit_n == 10)) {
    lesson::Result("value: NOT shown (see the lines above)");
    return 1;
  }
  lesson::Result(
      "value: nearest WithValue wins, two \"trace-id\" keys did not collide, and a limit read "
      "from ctx silently became 0 when a caller forgot it; values inform, parameters control");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"13_context",
       "gox::Context, Go's context.Context. tree: root -> a, b; a -> a1, a2, a goroutine "
       "waiting on each Done(); cancel(a) stops a's subtree only, cancel(root) the rest. "
       "timeout: WithTimeout(100ms) around a 200ms dependency that honours ctx; a child's "
       "longer timeout keeps the parent's deadline (min). value: request-scoped values under "
       "typed ContextKey<T>; nearest wins; same-name keys never collide; values inform, "
       "they don't control.",
       {"tree", "timeout", "value"},
       {}});
  const std::string variant = args.Variant();
  if (variant == "timeout") return RunTimeout();
  if (variant == "value") return RunValue();
  return RunTree();
}
