#include "slave/review.hpp"

#include <ctime>

#include <fmt/format.h>

#include "common/util/json_text.hpp"
#include "slave/change_json.hpp"

namespace flatsign::slave {
ReviewInput review_input(const ReviewSubject& s) {
  const bool first = !s.old_serial;
  std::string head = fmt::format(
      "{{\"zone\":{},\"old_serial\":{},\"new_serial\":{},\"master_serial\":{},\"master\":{},"
      "\"added\":[",
      util::json_string(s.zone), s.old_serial ? std::to_string(*s.old_serial) : "null",
      s.new_serial, s.master_serial, util::json_string(s.master));
  const std::string removed = s.diff ? json_record_items(*s.diff, false) : "";
  std::string tail = "],\"removed\":[" + removed +
                     "],\"time\":" + util::json_string(iso_time(std::time(nullptr))) + "}\n";
  ReviewInput r;
  size_t added = 0;
  if (first) {
    added = s.transferred->rr_count();
    r.input = [head = std::move(head), tail = std::move(tail),
               zone = s.transferred](const util::HookWrite& write) {
      if (write(head) && write_json_record_items(*zone, write)) write(tail);
    };
  } else {
    added = s.diff ? s.diff->added_count() : 0;
    r.input = [text = head + (s.diff ? json_record_items(*s.diff, true) : "") +
                      tail](const util::HookWrite& write) { write(text); };
  }
  r.env = {{"FLATSIGN_EVENT", "review"},
           {"FLATSIGN_ZONE", s.zone},
           {"FLATSIGN_OLD_SERIAL", s.old_serial ? std::to_string(*s.old_serial) : ""},
           {"FLATSIGN_NEW_SERIAL", std::to_string(s.new_serial)},
           {"FLATSIGN_ADDED", std::to_string(added)},
           {"FLATSIGN_REMOVED", std::to_string(s.diff ? s.diff->removed_count() : 0)},
           {"FLATSIGN_MASTER", s.master}};
  return r;
}

ReviewDecision run_review(const ReviewSettings& settings, ReviewInput in, const std::string& zone) {
  const util::HookOutcome o =
      util::run_hook_timed(settings.command, in.input, in.env, "review", zone, settings.timeout);
  switch (o.kind) {
    case util::HookOutcome::Kind::Exited:
      if (o.code == 0) return {};
      return {false, "review-veto",
              fmt::format("the review hook exited {}: {}", o.code, settings.command)};
    case util::HookOutcome::Kind::TimedOut: {
      const std::string detail =
          fmt::format("the review hook did not answer within {:.1f} s ({}): {}",
                      std::chrono::duration<double>(settings.timeout).count(),
                      settings.publish_on_timeout ? "review-on-timeout = publish, published"
                                                  : "review-on-timeout = veto",
                      settings.command);
      return {settings.publish_on_timeout, "review-timeout", detail};
    }
    case util::HookOutcome::Kind::Failed:
      break;
  }
  return {false, "review-veto",
          "the review hook could not run or died from a signal: " + settings.command};
}

}  // namespace flatsign::slave
