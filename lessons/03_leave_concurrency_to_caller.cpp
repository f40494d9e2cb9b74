// 03 Leave concurrency to the caller: a function that starts its own goroutine leaks it.
// The question: StartIndexer returns at once and indexes in the background. Who can
// tell when it stops, and who can stop it? The course's three questions: when will
// it terminate, what could prevent it from terminating, who decides?
// Watch: `leak` returns in microseconds, then NumGoroutine() stays at 1 and no handle
// exists to stop it. `caller` does the same work synchronously; the caller runs it
// with gox::Go and waits, cancels a second run through its ctx, and 0 goroutines are
// left.
// Variants: caller (default), leak.
// Run: build/dev/lessons/03_leave_concurrency_to_caller --variant=leak
// Note: notes/03_leave_concurrency_to_caller.md
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gox/chan.h"
#include "gox/clock.h"
#include "gox/context.h"
#include "gox/error.h"
#include "gox/go.h"
#include "gox/select.h"
#include "gox/time.h"
#include "gox/wait_group.h"
#include "lesson.h"

namespace {

using std::chrono::milliseconds;
const milliseconds kPerDoc(20);  // the work of indexing one document

struct Index {
  std::atomic<int> docs{0};  // written by the indexing goroutine, read by main
};

// We index one document (the work is a timer wait, so ctx can interrupt it).
gox::Error IndexOne(const gox::Context& ctx, Index& index, const std::string& doc) {
  gox::Error err;
  gox::Select(gox::RecvCase(gox::After(kPerDoc), [] {}),
              gox::RecvCase(ctx.Done(), [&] { err = ctx.Err(); }));
  if (err) return err;
  index.docs.fetch_add(1);
  lesson::Say("  indexed %s", doc.c_str());
  return {};
}

// We write the leaky API: StartIndexer starts its own goroutine and returns void.
// After the documents it waits for more on a channel only it knows: forever.
void StartIndexer(std::shared_ptr<Index> index, std::vector<std::string> docs) {
  gox::Go([index, docs] {
    for (const auto& d : docs) (void)IndexOne(gox::Background(), *index, d);
    gox::Chan<std::string> more(0);  // nobody else can ever send here
    lesson::Say("  indexer: done; waiting for more documents, forever");
    (void)more.Recv();
  });
}

// We write the same work as a plain synchronous function: it returns when the
// work is done or ctx is cancelled. Concurrency is the caller's choice.
gox::Error IndexAll(const gox::Context& ctx, Index& index, const std::vector<std::string>& docs) {
  for (const auto& d : docs)
    if (gox::Error err = IndexOne(ctx, index, d)) return err;
  return {};
}

const std::vector<std::string> kDocs = {"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"};

int RunLeak() {
  auto index = std::make_shared<Index>();
  auto t0 = gox::Clock::now();
  StartIndexer(index, kDocs);
  lesson::Say("StartIndexer returned after %.3fms; indexed so far: %d of %zu",
              std::chrono::duration<double, std::milli>(gox::Clock::now() - t0).count(),
              index->docs.load(), kDocs.size());
  const bool stopped = gox::WaitGoroutines(milliseconds(400));
  const int n = gox::NumGoroutine();
  lesson::Say("400ms later: indexed %d of %zu; NumGoroutine() = %d", index->docs.load(),
              kDocs.size(), n);
  lesson::Say("when will it terminate? never: after the documents it waits for more");
  lesson::Say(
      "what could prevent it from terminating? its Recv on a channel nobody else can "
      "reach; and StartIndexer returned void: no handle, channel or ctx to stop it");
  lesson::Say("who decided it runs in the background? StartIndexer did; its caller could not");
  return lesson::Conclude(!stopped && n > 0,
                          "leak: StartIndexer returned at once; %d goroutine still running 400ms "
                          "later and no handle exists to stop it",
                          n);
}

int RunCaller() {
  Index index;
  gox::WaitGroup wg;
  gox::Error err;
  wg.Add(1);
  gox::Go([&] {
    err = IndexAll(gox::Background(), index, kDocs);
    wg.Done();
  });
  lesson::Say("caller: go IndexAll(...) with a WaitGroup; NumGoroutine() = %d",
              gox::NumGoroutine());
  wg.Wait();
  lesson::Say("caller: Wait returned: indexed %d of %zu, err = %s", index.docs.load(), kDocs.size(),
              err ? err.Message().c_str() : "nil");

  // We run it again and cancel it after 50ms: the ctx is what can stop it.
  Index second;
  auto [ctx, cancel] = gox::WithTimeout(gox::Background(), milliseconds(50));
  gox::Error err2 = IndexAll(ctx, second, kDocs);  // this time inline: the caller's choice
  cancel();
  lesson::Say("caller: second run inline with a 50ms ctx: %d of %zu, err = %s", second.docs.load(),
              kDocs.size(), err2.Message().c_str());
  const bool none = gox::WaitGoroutines(milliseconds(400));
  const int n = gox::NumGoroutine();
  lesson::Say(
      "when will it terminate? when IndexAll returns: after the last document, or "
      "when its ctx ends");
  lesson::Say(
      "what could prevent it from terminating? nothing waits outside ctx: the 50ms "
      "deadline stopped the second run (\"%s\")",
      err2.Message().c_str());
  lesson::Say("who decides? the caller: once on a goroutine with Go + Wait, once inline");
  return lesson::Conclude(!err && gox::Is(err2, gox::DeadlineExceeded) && none && n == 0,
                          "caller: indexed %d of %zu with Go + Wait, a cancelled run stopped at "
                          "%d; %d goroutines left",
                          index.docs.load(), kDocs.size(), second.docs.load(), n);
}

}  // namespace

int main(int argc, char** argv) {
  auto args = lesson::Parse(
      argc, argv,
      {"03_leave_concurrency_to_caller",
       "Leave concurrency to the caller. leak: StartIndexer starts its own goroutine and "
       "returns; nothing can stop it and NumGoroutine() stays at 1. caller: IndexAll is "
       "synchronous; the caller runs it with gox::Go and waits, or inline with a ctx.",
       {"caller", "leak"},
       {}});
  lesson::Say("variant %s: index %zu documents, %lldms each", args.Variant().c_str(), kDocs.size(),
              static_cast<long long>(kPerDoc.count()));
  return args.Variant() == "leak" ? RunLeak() : RunCaller();
}
