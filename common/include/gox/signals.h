// signals.h: Go's os/signal Notify, Stop and NotifyContext.
//   NotifySignals(ch, {sigs})   relays each listed signal to ch (empty list: all
//                               asynchronous signals). Never blocks: a full ch
//                               misses the signal. Repeated calls add signals.
//   StopSignals(ch)             ch receives nothing more once it returns; a signal
//                               left with no subscriber gets back the disposition
//                               it had before the first subscription (SIG_DFL
//                               normally), so a second Ctrl-C kills.
//   NotifyContext(p, {sigs})    a child of p cancelled by the first listed signal,
//                               Cause = SignalError(sig) ("signal received: SIGTERM");
//                               stop() cancels it (Canceled) and unsubscribes.
// Mechanism: the handler (sigaction, SA_RESTART) only sets a flag and writes a
// byte to a self-pipe; an internal dispatcher thread (not a goroutine) does the
// non-blocking sends. It runs only while a subscription exists, and unblocks the
// subscribed signals on itself, so a program may block them in main before
// starting threads and still receive them here.
// Ordering: a signal raised by a thread after NotifySignals returned reaches ch.
// Panics (gox::Panic): a nil channel ("os/signal: Notify using nil channel");
// a signal that cannot be relayed (out of range, SIGKILL, SIGSTOP, or a fault
// signal: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "gox/chan.h"
#include "gox/context.h"
#include "gox/error.h"

namespace gox {

// NotifySignals relays the signals sigs (all asynchronous ones if empty) to ch.
void NotifySignals(Chan<int> ch, std::initializer_list<int> sigs);

// StopSignals stops all relaying to ch; does nothing if ch has no subscription.
void StopSignals(Chan<int> ch);

// NotifyContext returns a child of parent that is cancelled when one of sigs
// (all asynchronous signals if empty) arrives, and a stop function that
// cancels it and unsubscribes (idempotent). Until stop() is called the signals
// stay caught, even after the context is done, as in Go.
std::pair<Context, CancelFunc> NotifyContext(Context parent, std::initializer_list<int> sigs);

// SignalName returns "SIGTERM" for SIGTERM, or "signal N" for an unnamed one.
std::string SignalName(int sig);

// SignalError returns the error "signal received: <SignalName(sig)>"; the same
// error (by identity) on every call for one sig, so Cause(ctx) == SignalError(SIGINT)
// tells which signal cancelled a NotifyContext.
Error SignalError(int sig);

namespace detail {
// SignalDispatcherRunning reports whether the dispatcher thread exists (tests).
bool SignalDispatcherRunning();
}  // namespace detail

}  // namespace gox
