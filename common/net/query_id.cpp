#include "common/net/query_id.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace flatsign::net {

uint16_t random_query_id() {
  // A buffer of IDs per thread: one getrandom call for 256 queries.
  thread_local uint16_t pool[256];
  thread_local unsigned left = 0;
  if (left == 0) {
    ssize_t n;
    do {
      n = getrandom(pool, sizeof pool, 0);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof pool)) {
      std::fprintf(stderr, "flatsign: getrandom failed: no unpredictable query IDs\n");
      std::abort();
    }
    left = 256;
  }
  return pool[--left];
}

}  // namespace flatsign::net
