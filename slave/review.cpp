#include "slave/review.hpp"

#include <ctime>

#include <fmt/format.h>

#include "common/util/json_text.hpp"
#include "common/zone/zonefile.hpp"

namespace flatsign::slave {
namespace {

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One record as a JSON string holding its zone-file line.
void append_record(const dns::Name& owner, uint32_t ttl, dns::RRType type,
                   std::span<const uint8_t> rdata, bool& first, std::string& line,
                   std::string& out) {
  line.clear();
  zone::print_rr(owner, ttl, type, rdata, line);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  if (!first) out += ',';
  out += util::json_string(line);
  first = false;
}

std::string diff_items(const zone::Diff& diff, bool added) {
  std::string out, line;
  bool first = true;
  for (const auto& c : diff.changes)
    for (const auto& rd : added ? c.added : c.removed)
      append_record(c.owner, added ? c.new_ttl : c.old_ttl, c.type, rd, first, line, out);
  return out;
}

// Every record of `z`, SOA first, written in pieces of about 64 KB.
bool write_all_records(const zone::Zone& z, const util::HookWrite& write) {
  constexpr size_t kPiece = 64 * 1024;
  std::string out, line;
  bool first = true, reading = true;
  const dns::RRset& soa = z.soa();
  auto emit = [&](const zone::Node& node, const dns::RRset& rs) {
    for (dns::RdataRef rd : rs.rdatas) {
      if (!reading) return;
      append_record(rs.owner, node.record_ttl(rs, rd), rs.type, rd, first, line, out);
      if (out.size() >= kPiece) {
        reading = write(out);
        out.clear();
      }
    }
  };
  emit(z.nodes()[0], soa);
  for (const auto& node : z.nodes())
    for (const auto& rs : node.rrsets)
      if (&rs != &soa) emit(node, rs);
  return reading && write(out);
}

}  // namespace

ReviewInput review_input(const ReviewSubject& s) {
  const bool first = !s.old_serial;
  std::string head = fmt::format(
      "{{\"zone\":{},\"old_serial\":{},\"new_serial\":{},\"master_serial\":{},\"master\":{},"
      "\"added\":[",
      util::json_string(s.zone), s.old_serial ? std::to_string(*s.old_serial) : "null",
      s.new_serial, s.master_serial, util::json_string(s.master));
  const std::string removed = s.diff ? diff_items(*s.diff, false) : "";
  std::string tail =
      "],\"removed\":[" + removed + "],\"time\":" + util::json_string(iso_now()) + "}\n";
  ReviewInput r;
  size_t added = 0;
  if (first) {
    added = s.transferred->rr_count();
    r.input = [head = std::move(head), tail = std::move(tail),
               zone = s.transferred](const util::HookWrite& write) {
      if (write(head) && write_all_records(*zone, write)) write(tail);
    };
  } else {
    added = s.diff ? s.diff->added_count() : 0;
    r.input = [text = head + (s.diff ? diff_items(*s.diff, true) : "") +
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
