// The pre-publish review hook (`review = "CMD"`): before a changed zone is signed and swapped
// in, CMD gets the document on-change would get for it; exit 0 publishes it, anything else
// vetoes it (the last good zone stays served). Thread-safe; each call is independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/util/hooks.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

struct ReviewSettings {
  std::string command;  // empty: no review
  std::chrono::milliseconds timeout{10000};
  bool publish_on_timeout = false;  // review-on-timeout = publish | veto
};

// What is about to be published, as on-change describes a publication.
struct ReviewSubject {
  std::string zone;
  std::optional<uint32_t> old_serial;  // the served serial; none before the first publication
  uint32_t new_serial = 0;             // the serial it is to be published under
  uint32_t master_serial = 0;
  std::string master;
  // The change from the served content; with no zone served yet, every record of `transferred`
  // is listed as added.
  const zone::Diff* diff = nullptr;
  std::shared_ptr<const zone::Zone> transferred;
};

// The hook's stdin and environment.
struct ReviewInput {
  util::HookInput input;
  util::HookEnv env;
};
// The on-change JSON document for `s` (streamed: a first publication lists every record) and
// its FLATSIGN_* environment (FLATSIGN_EVENT=review). The input keeps `s.transferred` alive.
// REQUIRES: s.diff, when set, outlives the call; s.transferred is set when !s.old_serial.
[[nodiscard]] ReviewInput review_input(const ReviewSubject& s);

// What the review decided. `reason` is the alert to raise: "review-veto" or "review-timeout"
// (the latter also with publish, under review-on-timeout = publish); empty when approved.
struct ReviewDecision {
  bool publish = true;
  std::string reason;
  std::string detail;
};
// Runs the review hook and decides by `settings` (blocks up to the timeout: call it off the
// zone jobs' threads).
[[nodiscard]] ReviewDecision run_review(const ReviewSettings& settings, ReviewInput in,
                                        const std::string& zone);

}  // namespace flatsign::slave
