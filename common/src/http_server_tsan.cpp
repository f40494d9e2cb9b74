// http_server_tsan.cpp: ThreadSanitizer suppressions for POCO, linked into
// every program that constructs a gox::Server (the Server's constructor calls
// LinkTsanSuppressions, which pulls this file out of the static library).
//
// Why: POCO is not built with TSan, yet its reference counters
// (Poco::AtomicCounter, inline) also run in our instrumented code whenever we
// copy or drop an AutoPtr/SharedPtr to a POCO object. An object shared between
// the two halves is then deleted after a decrement TSan could not see, so it
// reports the delete (or the destruction of a mutex a POCO delegate owns) as
// racing with our earlier decrement, or with the delegate's lock taken by
// ~HTTPServerConnection while HTTPServer::stopAll's copy of the delegate list
// drops the last reference. Each pattern names a frame only these false
// reports have.
#include "http_server_internal.h"

namespace gox::http_internal {
void LinkTsanSuppressions() {}
}  // namespace gox::http_internal

#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_suppressions() {
  return "race:Poco::AtomicCounter::operator--\n"
         "race:Poco::Delegate<Poco::Net::HTTPServerConnection, bool const, false>::~Delegate\n";
}
#endif
