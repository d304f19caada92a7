// What the slave's GET /status reports beyond its counters: the last poll, the last refusal,
// the serials and the signatures' next expiry, as the poll loop last saw them.
// Thread rule: written and read on the daemon's io_context thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "slave/slave_metrics.hpp"

namespace flatsign::slave {

struct PollRecord {
  std::chrono::system_clock::time_point at;  // when the poll started
  PollResult result = PollResult::Unchanged;
  std::string master;  // the master that answered (or the last one tried)
  std::string detail;  // why, for refused and failed polls
};

struct RefusalRecord {
  std::chrono::system_clock::time_point at;
  std::string reason;  // a verdict name, master-unreachable, sign-failed, ...
  std::string detail;
  std::string master;
};

struct SlaveStatus {
  std::optional<PollRecord> last_poll;
  std::optional<std::chrono::system_clock::time_point> last_success;  // unchanged or published
  // Shared, not inline: most zones never see one (with thousands of zones, ~100 octets each).
  std::shared_ptr<const RefusalRecord> last_refusal;
  uint32_t next_expiry = 0;  // earliest RRSIG expiration of the served zone; 0: none
};

}  // namespace flatsign::slave
