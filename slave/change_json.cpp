#include "slave/change_json.hpp"

#include "common/util/json_text.hpp"
#include "common/zone/zonefile.hpp"

namespace flatsign::slave {
namespace {

// Appends one record as a JSON string, after a comma unless it is the first.
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

}  // namespace

std::string iso_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string json_record_items(const zone::Diff& diff, bool added) {
  std::string out, line;
  bool first = true;
  for (const auto& c : diff.changes)
    for (const auto& rd : added ? c.added : c.removed)
      append_record(c.owner, added ? c.new_ttl : c.old_ttl, c.type, rd, first, line, out);
  return out;
}

bool write_json_record_items(const zone::Zone& z, const util::HookWrite& write) {
  constexpr size_t kPiece = 64 * 1024;
  std::string out, line;
  out.reserve(kPiece + 1024);
  bool first = true, reading = true;
  const dns::RRset* soa = z.nodes().empty() ? nullptr : z.nodes()[0].find(dns::RRType::SOA);
  auto emit = [&](const zone::Node& node, const dns::RRset& rs) {
    for (dns::RdataRef rd : rs.rdatas) {
      if (!reading) return;  // the hook went away: print nothing more
      append_record(rs.owner, node.record_ttl(rs, rd), rs.type, rd, first, line, out);
      if (out.size() >= kPiece) {
        reading = write(out);
        out.clear();
      }
    }
  };
  if (soa) emit(z.nodes()[0], *soa);
  for (const auto& node : z.nodes())
    for (const auto& rs : node.rrsets)
      if (&rs != soa) emit(node, rs);
  return reading && write(out);
}

}  // namespace flatsign::slave
