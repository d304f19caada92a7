// ZonePipeline::status_json(): one zone's part of GET /status, kept apart from the polling logic.
#include <fmt/format.h>

#include "common/dnssec/crypto.hpp"
#include "common/net/address.hpp"
#include "common/util/clock.hpp"
#include "common/util/json_text.hpp"
#include "slave/zone_pipeline.hpp"

namespace flatsign::slave {
namespace {
using util::json_string;

std::string opt_text(const std::optional<uint32_t>& v) {
  return v ? std::to_string(*v) : "null";
}

std::string time_json(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? json_string(util::utc_text(*t)) : "null";
}

// "CSK" when the zone has one SEP key and no other (it signs everything), else KSK/ZSK.
const char* key_role(const dnssec::DnssecKey& k, bool has_zsk) {
  return !k.is_sep() ? "ZSK" : has_zsk ? "KSK" : "CSK";
}

}  // namespace

std::string ZonePipeline::status_json() const {
  // Runs on the io thread while the worker may be publishing: read only the atomic snapshot,
  // the immutable keys and what the poll loop recorded (status_, on this thread).
  const auto served = publisher_.served_signed();
  const auto now = util::unix_now();
  std::string out = fmt::format(
      "{{\"zone\":{},\"served_serial\":{},\"master_serial\":{},"
      "\"poll_mode\":{},\"masters\":[",
      json_string(zname_), served ? std::to_string(served->serial()) : "null",
      opt_text(master_serial_), json_string(config_.poll_mode == PollMode::Soa ? "soa" : "axfr"));
  for (size_t i = 0; i < config_.masters.size(); ++i) {
    const auto& m = config_.masters[i];
    out += (i ? "," : "") +
           json_string(net::endpoint_text(boost::asio::ip::udp::endpoint(m.address(), m.port())));
  }
  out += "],\"last_poll\":";
  if (const auto& p = status_.last_poll) {
    out += fmt::format("{{\"at\":{},\"result\":{},\"master\":{},\"detail\":{}}}",
                       json_string(util::utc_text(p->at)), json_string(poll_result_text(p->result)),
                       json_string(p->master), json_string(p->detail));
  } else {
    out += "null";
  }
  out += ",\"last_success\":" + time_json(status_.last_success);
  out += ",\"last_refusal\":";
  if (const auto& r = status_.last_refusal) {
    out += fmt::format("{{\"at\":{},\"reason\":{},\"master\":{},\"detail\":{}}}",
                       json_string(util::utc_text(r->at)), json_string(r->reason),
                       json_string(r->master), json_string(r->detail));
  } else {
    out += "null";
  }
  out += ",\"next_signature_expiry\":";
  if (status_.next_expiry != 0) {
    // RFC 1982 distance from now (RRSIG times are serial numbers, RFC 4034 §3.1.5).
    const auto left = static_cast<int32_t>(status_.next_expiry - static_cast<uint32_t>(now));
    out += fmt::format("{{\"at\":{},\"unix\":{},\"in_s\":{}}}",
                       json_string(util::utc_text(static_cast<std::time_t>(now) + left)),
                       static_cast<int64_t>(now) + left, left);
  } else {
    out += "null";
  }
  out += ",\"keys\":[";
  const auto& keys = publisher_.keys();
  bool has_zsk = false;
  for (const auto& k : keys) has_zsk |= !k.is_sep();
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    out += fmt::format(
        "{}{{\"tag\":{},\"algorithm\":{},\"algorithm_name\":{},\"flags\":{},"
        "\"role\":{}}}",
        i ? "," : "", k.tag, static_cast<unsigned>(k.algorithm),
        json_string(dnssec::algorithm_name(k.algorithm)), k.flags,
        json_string(key_role(k, has_zsk)));
  }
  out += "],\"ds\":[";
  const auto ds = publisher_.ds_lines();
  for (size_t i = 0; i < ds.size(); ++i) out += (i ? "," : "") + json_string(ds[i]);
  out += "],\"counters\":{";
  std::string group;
  for (const auto& row : metrics_.rows()) {
    if (row.group != group) {
      out += group.empty() ? "" : "},";
      out += json_string(row.group) + ":{";
      group = row.group;
    } else {
      out += ',';
    }
    out += fmt::format("{}:{}", json_string(row.label), row.counter->value());
  }
  out += "}}}";
  return out;
}

}  // namespace flatsign::slave
