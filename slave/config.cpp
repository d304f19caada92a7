#include "slave/config.hpp"

#include <openssl/evp.h>

#include <set>
#include <tuple>

#include <fmt/format.h>

#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/util/log.hpp"
#include "common/util/toml_options.hpp"
#include "slave/state.hpp"

namespace flatsign::slave {
namespace {

using Given = util::GivenOption;
using Layer = util::OptionLayer;
using Reader = util::OptionReader;
using util::toml_where;

const Layer& defaults() {
  static const Layer d = [] {
    Layer l;
    auto set = [&](const char* name, std::vector<std::string> v) {
      l[name] = Given{std::move(v), "default"};
    };
    set("listen", {"127.0.0.1:5302"});
    set("poll-interval", {"60"});
    set("connect-timeout", {"5"});
    set("read-timeout", {"10"});
    set("algorithm", {"ecdsap256sha256"});
    set("denial", {"nsec"});
    set("cds", {"none"});
    set("verify", {"sampled"});
    set("serial-policy", {"increment"});
    set("poll-mode", {"axfr"});
    set("transfer", {"ixfr"});
    set("max-shrink", {"0.5"});
    // The largest zones benchmarked (1M names) transfer 1.4M records; a master (or whoever
    // speaks for it) sending far more is refused before it fills the slave's memory.
    set("max-records", {"3000000"});
    // Far above what such zones need (1.4M records: about 60 MB in a few thousand messages);
    // a master that sends more, or trickles empty messages, is cut here.
    set("max-transfer-messages", {"1000000"});
    set("max-transfer-octets", {"1073741824"});
    set("signature-validity", {"14d"});
    set("signature-refresh", {"7d"});
    set("key-policy", {"manual"});
    set("csk-lifetime", {"0"});
    set("ksk-lifetime", {"0"});
    set("zsk-lifetime", {"0"});
    set("parent-ds-check-interval", {"60"});
    set("parent-ds-alert-after", {"1d"});
    set("dnskey-ttl", {"3600"});
    set("propagation-delay", {"1h"});
    set("publish-safety", {"1h"});
    set("retire-safety", {"1h"});
    set("parent-ds-ttl", {"1d"});
    set("parent-propagation-delay", {"1h"});
    set("key-check-interval", {"60"});
    set("alert-after", {"3"});
    set("sign-threads", {"0"});
    set("expiry-alert", {"259200"});
    set("journal-max", {"100"});
    set("log-level", {"info"});
    set("max-transfers", {"8"});
    set("notify-tsig", {"required"});
    set("hook-min-interval", {"60"});
    set("hook-burst", {"3"});
    set("review-timeout", {"10"});
    set("review-on-timeout", {"veto"});
    set("notify-min-interval", {"1"});
    set("transfer-timeout", {"600"});
    set("max-signing", {"0"});
    set("udp-threads", {"0"});
    set("tcp-max-connections", {"256"});
    set("tcp-per-client", {"16"});
    set("tcp-reserved", {"16"});
    set("tcp-idle", {"10"});
    set("rrl-rate", {"20"});
    set("rrl-slip", {"2"});
    set("rrl-ipv4-prefix", {"24"});
    set("rrl-ipv6-prefix", {"56"});
    return l;
  }();
  return d;
}

// The zone's options as a SHA-256 digest of their text, for comparing two configurations of
// it: the text itself (every option, ~1 KB) would be held by each of thousands of zones.
std::string settings_text(const Layer& l) {
  std::string out;
  for (const auto& [k, g] : l) {
    if (k == "listen" || k == "http" || k == "udp-threads" || k == "max-transfers" ||
        k == "max-signing" || k == "log-level" || k.starts_with("rrl-") || k.starts_with("tcp-") ||
        k == "cookie-secret-file")
      continue;
    out += k + "=";
    for (const auto& v : g.values) out += v + "\x1f";
    out += "\n";
  }
  std::string digest(EVP_MAX_MD_SIZE, '\0');
  unsigned size = 0;
  if (!EVP_Digest(out.data(), out.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
                  EVP_sha256(), nullptr))
    return out;  // compared as text then
  digest.resize(size);
  return digest;
}

// Where the zone comes from and how its transfers are bounded.
void read_transfer(Reader& r, ZoneConfig& z) {
  r.each("master", [&](const std::string& m) {
    auto ep = net::parse_endpoint(m, 53);
    z.masters.emplace_back(ep.address(), ep.port());
  });
  if (r.list("master").empty()) r.fail("master", "no master given (set master = [\"ADDR:PORT\"])");
  z.poll_interval = r.duration("poll-interval");
  if (z.poll_interval < std::chrono::milliseconds(100))
    r.fail("poll-interval", "must be at least 0.1 s");
  const std::string mode = r.text("poll-mode");
  if (mode == "soa") {
    z.poll_mode = PollMode::Soa;
  } else if (mode != "axfr") {
    r.fail("poll-mode", "\"" + mode + "\": expected axfr or soa");
  }
  const std::string transfer = r.text("transfer");
  if (transfer == "axfr") {
    z.transfer_mode = TransferMode::Axfr;
  } else if (transfer != "ixfr") {
    r.fail("transfer", "\"" + transfer + "\": expected ixfr or axfr");
  }
  z.transfer.connect_timeout = r.duration("connect-timeout");
  z.transfer.read_timeout = r.duration("read-timeout");
  z.transfer.total_timeout = r.duration("transfer-timeout");
  const std::string ntsig = r.text("notify-tsig");
  if (ntsig == "optional") {
    z.notify_tsig_required = false;
  } else if (ntsig != "required") {
    r.fail("notify-tsig", "\"" + ntsig + "\": expected required or optional");
  }
  z.notify_min_interval = r.duration("notify-min-interval");
  z.transfer.limits.max_shrink = r.number("max-shrink", 0, 1);
  z.transfer.limits.max_records = static_cast<size_t>(r.number("max-records", 1, 1e12));
  z.transfer.limits.max_messages = static_cast<size_t>(r.number("max-transfer-messages", 1, 1e12));
  z.transfer.limits.max_octets = static_cast<uint64_t>(r.number("max-transfer-octets", 1024, 1e15));
  z.alert_after = static_cast<unsigned>(r.number("alert-after", 1, 1e6));
  if (!r.list("allow-transfer").empty()) {
    std::vector<net::Prefix> prefixes;
    r.each("allow-transfer",
           [&](const std::string& a) { prefixes.push_back(net::parse_prefix(a)); });
    z.allow_transfer = net::Acl(std::move(prefixes));
  }
}

// The masters' TSIG key, the secondaries' keys and the keys that sign each NOTIFY sent.
void read_keys(Reader& r, ZoneConfig& z, const SlaveConfig& global) {
  // The zone's TSIG key: named, or the only one the slave knows.
  const std::string key_name = r.text("tsig-key");
  if (!key_name.empty()) {
    for (const auto& k : global.keys)
      if (k.name == zone_name(key_name)) z.transfer.key = k;
    if (!z.transfer.key) r.fail("tsig-key", "no key named \"" + key_name + "\" in the key files");
  } else if (global.keys.size() == 1) {
    z.transfer.key = global.keys.front();
  } else if (global.keys.size() > 1) {
    r.fail("tsig-key",
           fmt::format("{} TSIG keys are known: name the zone's key", global.keys.size()));
  }
  const auto known_key = [&](const std::string& option,
                             const std::string& text) -> std::optional<dns::TsigKey> {
    for (const auto& k : global.keys)
      if (k.name == zone_name(text)) return k;
    r.fail(option, "no key named \"" + text + "\" in the key files");
    return std::nullopt;
  };
  // Secondaries' keys: a secondary holding the masters' key could sign NOTIFYs and transfers
  // as the master does, so it gets a key of its own.
  r.each("transfer-key", [&](const std::string& t) {
    auto k = known_key("transfer-key", t);
    if (!k) return;
    if (z.transfer.key && z.transfer.key->name == k->name) {
      r.fail("transfer-key", "\"" + t +
                                 "\" is the key shared with the masters: give the secondaries "
                                 "keys of their own");
      return;
    }
    z.transfer_keys.push_back(k->name);
  });
  // "ADDR[:PORT] [key NAME]": the NOTIFY is signed with NAME; without it, with the zone's one
  // transfer-key, or with the masters' key when the zone has no transfer-key.
  r.each("notify", [&](const std::string& n) {
    ZoneConfig::NotifyTarget t;
    const auto space = n.find(' ');
    t.to = net::parse_endpoint(n.substr(0, space), 53);
    if (space != std::string::npos) {
      const auto rest = n.find_first_not_of(' ', space);
      const std::string_view tail =
          rest == std::string::npos ? "" : std::string_view(n).substr(rest);
      if (!tail.starts_with("key ")) {
        r.fail("notify", "\"" + n + "\": expected ADDRESS[:PORT] [key NAME]");
        return;
      }
      t.key = known_key("notify", std::string(tail.substr(4)));
      if (!t.key) return;
    } else if (z.transfer_keys.size() == 1) {
      t.key = known_key("notify", z.transfer_keys.front().to_string());
    } else if (z.transfer_keys.size() > 1) {
      r.fail("notify", "\"" + n + "\": the zone has several transfer-keys: name this " +
                           "secondary's (\"" + n + " key NAME\")");
      return;
    } else {
      t.key = z.transfer.key;
    }
    z.notify.push_back(std::move(t));
  });
}

// How the zone is signed: algorithm, CDS, denial, verification, serial.
void read_signing(Reader& r, ZoneConfig& z) {
  PublisherConfig& pc = z.publisher;
  const std::string alg_text = r.text("algorithm");
  auto alg = dnssec::algorithm_from_string(alg_text);
  if (!alg || !dnssec::can_sign(*alg)) {
    r.fail("algorithm", "\"" + alg_text + "\" unsupported (ecdsap256sha256, ed25519, rsasha256)");
  } else {
    pc.algorithm = *alg;
  }
  const std::string cds = r.text("cds");
  if (cds == "publish") {
    pc.cds = PublisherConfig::Cds::Publish;
  } else if (cds == "delete") {
    pc.cds = PublisherConfig::Cds::Delete;
  } else if (cds != "none") {
    r.fail("cds", "\"" + cds + "\": expected none, publish or delete");
  }
  const std::string denial = r.text("denial");
  if (denial == "nsec3") {
    pc.denial.mode = dnssec::DenialMode::Nsec3;
  } else if (denial != "nsec") {
    r.fail("denial", "\"" + denial + "\": expected nsec or nsec3");
  }
  const std::string verify = r.text("verify");
  if (auto m = dnssec::verify_mode_from_string(verify)) {
    pc.verify = *m;
  } else {
    r.fail("verify", "\"" + verify + "\": expected full or sampled");
  }
  const std::string serial = r.text("serial-policy");
  if (auto p = serial_policy_from_text(serial)) {
    pc.serial_policy = *p;
  } else {
    r.fail("serial-policy", "\"" + serial + "\": expected increment, unixtime or dateserial");
  }
}

// Hooks and the limits on how often they run; signing threads, expiry alert, journal.
void read_hooks(Reader& r, ZoneConfig& z) {
  PublisherConfig& pc = z.publisher;
  pc.on_change = r.text("on-change");
  pc.on_alert = r.text("on-alert");
  z.review.command = r.text("review");
  z.review.timeout = r.duration("review-timeout");
  if (z.review.timeout < std::chrono::milliseconds(100) || z.review.timeout > std::chrono::hours(1))
    r.fail("review-timeout", "must be from 0.1 s to an hour");
  z.review.publish_on_timeout = r.choice("review-on-timeout", {"veto", "publish"}) == "publish";
  pc.hook_min_interval = static_cast<uint32_t>(r.duration("hook-min-interval").count() / 1000);
  pc.hook_burst = static_cast<uint32_t>(r.number("hook-burst", 1, 1000));
  pc.sign_threads = static_cast<unsigned>(r.number("sign-threads", 0, 1024));
  pc.expiry_alert = static_cast<uint32_t>(r.number("expiry-alert", 0, 1e9));
  pc.journal.max_versions = static_cast<size_t>(r.number("journal-max", 0, 1e9));
}

// The key policy (RFC 7583 timings) and where keys are read from.
void read_key_policy(Reader& r, ZoneConfig& z) {
  PublisherConfig& pc = z.publisher;
  KeyPolicy& kp = pc.key_policy;
  const std::string policy = r.text("key-policy");
  if (policy == "csk-roll") {
    kp.mode = KeyPolicy::Mode::CskRoll;
  } else if (policy == "ksk-zsk-roll") {
    kp.mode = KeyPolicy::Mode::KskZskRoll;
  } else if (policy != "manual") {
    r.fail("key-policy", "\"" + policy + "\": expected manual, csk-roll or ksk-zsk-roll");
  }
  // An automatic policy rolls keys of another algorithm to the configured one.
  if (kp.mode != KeyPolicy::Mode::Manual) kp.algorithm = pc.algorithm;
  auto seconds = [&](const char* key, double max) {
    const auto d = r.duration(key);
    if (d.count() < 0 || double(d.count()) / 1000 > max) {
      r.fail(key, "must be from 0 to " + std::to_string(static_cast<long long>(max)) + " s");
      return uint32_t{0};
    }
    return static_cast<uint32_t>(d.count() / 1000);
  };
  kp.csk_lifetime = seconds("csk-lifetime", 100.0 * 365 * 86400);
  kp.ksk_lifetime = seconds("ksk-lifetime", 100.0 * 365 * 86400);
  kp.zsk_lifetime = seconds("zsk-lifetime", 100.0 * 365 * 86400);
  kp.dnskey_ttl = seconds("dnskey-ttl", 7 * 86400);
  kp.propagation_delay = seconds("propagation-delay", 30 * 86400);
  kp.publish_safety = seconds("publish-safety", 30 * 86400);
  kp.retire_safety = seconds("retire-safety", 30 * 86400);
  kp.parent_ds_ttl = seconds("parent-ds-ttl", 7 * 86400);
  kp.parent_propagation_delay = seconds("parent-propagation-delay", 30 * 86400);
  kp.parent_ds_check = r.text("parent-ds-check");
  if (!kp.parent_ds_check.empty()) {
    try {
      (void)net::parse_endpoint(kp.parent_ds_check, 53);
    } catch (const std::exception& e) {
      r.fail("parent-ds-check", e.what());
    }
  }
  kp.parent_ds_check_interval = seconds("parent-ds-check-interval", 86400);
  if (kp.parent_ds_check_interval == 0) r.fail("parent-ds-check-interval", "must be at least 1 s");
  kp.parent_ds_alert_after = seconds("parent-ds-alert-after", 365 * 86400);
  z.key_check_interval = r.duration("key-check-interval");
  pc.key_dir = r.text("key-dir");
  if (z.key_check_interval < std::chrono::milliseconds(100))
    r.fail("key-check-interval", "must be at least 0.1 s");
  // A roll must be over (the old key removed) before the next one of its role starts.
  for (KeyRole role : policy_roles(kp)) {
    const char* option = role == KeyRole::Csk   ? "csk-lifetime"
                         : role == KeyRole::Ksk ? "ksk-lifetime"
                                                : "zsk-lifetime";
    const uint32_t life = role == KeyRole::Csk   ? kp.csk_lifetime
                          : role == KeyRole::Ksk ? kp.ksk_lifetime
                                                 : kp.zsk_lifetime;
    const std::time_t least = min_lifetime(role, kp);
    if (life != 0 && std::time_t(life) < least)
      r.fail(option, "must be at least " + std::to_string(least) +
                         " s with these timing options (a roll must end before the next begins)");
  }
}

// Signature validity and refresh; a zone that sets neither gets timing derived from its SOA.
void read_signature_timing(Reader& r, ZoneConfig& z) {
  PublisherConfig& pc = z.publisher;
  const auto validity = r.duration("signature-validity");
  const auto refresh = r.duration("signature-refresh");
  if (validity < std::chrono::seconds(10) || validity > std::chrono::days(10 * 365)) {
    r.fail("signature-validity", "must be from 10 s to 10 years");
  } else if (refresh < std::chrono::seconds(1) || refresh * 2 > validity) {
    // Fresh signatures must not be due at once (their expirations spread over a tenth of the
    // validity): the refresh window is at most half of it.
    r.fail("signature-refresh", "must be from 1 s to half of signature-validity");
  } else {
    pc.signature_validity = static_cast<uint32_t>(validity.count() / 1000);
    pc.signature_refresh = static_cast<uint32_t>(refresh.count() / 1000);
  }
  z.signature_timing_set =
      r.where("signature-validity") != "default" || r.where("signature-refresh") != "default";
}

ZoneConfig resolve_zone(const dns::Name& name, const Layer& l, const SlaveConfig& global,
                        const std::string& state_root, std::vector<std::string>& errors) {
  Reader r(l, "zone " + name.to_string(), errors);
  ZoneConfig z;
  z.settings = settings_text(l);
  read_transfer(r, z);
  read_keys(r, z, global);
  auto& pc = z.publisher;
  pc.zone = name;
  z.state_root = state_root;
  pc.state_dir = state_root.empty() ? std::string() : zone_state_dir(state_root, name);
  read_signing(r, z);
  read_hooks(r, z);
  read_key_policy(r, z);
  read_signature_timing(r, z);
  return z;
}

// A [[template]] or [[catalog]] table: its name, where it is, its options, and (catalogs) the
// group -> template map.
struct Table {
  std::string name, where;
  Layer options;
  std::map<std::string, std::string> groups;  // catalog: group value -> template name
  std::string default_template;               // catalog: for members without a group
};

void read_tables(util::OptionFileReader& resolver, const std::string& path, const std::string& kind,
                 const toml::node& v, std::vector<Table>& out) {
  auto arr = v.as_array();
  if (!arr || !arr->is_array_of_tables()) {
    resolver.error(toml_where(path, v), "", kind, "expected [[" + kind + "]] tables");
    return;
  }
  for (auto& e : *arr) {
    const auto& t = *e.as_table();
    Table tb{"", toml_where(path, e), {}, {}, {}};
    for (auto&& [k, val] : t) {
      const std::string key(k.str());
      auto text = val.as_string();
      if (key == "name" || (kind == "catalog" && key == "template")) {
        if (!text) {
          resolver.error(toml_where(path, val), "[[" + kind + "]]", key, "must be a string");
          continue;
        }
        (key == "name" ? tb.name : tb.default_template) = text->get();
        continue;
      }
      if (kind == "catalog" && key == "groups") {
        auto g = val.as_table();
        if (!g) {
          resolver.error(toml_where(path, val), "[[catalog]]", key,
                         "expected a table of group = \"template\"");
          continue;
        }
        for (auto&& [gk, gv] : *g) {
          auto gt = gv.as_string();
          if (!gt) {
            resolver.error(toml_where(path, gv), "[[catalog]] groups", std::string(gk.str()),
                           "must name a [[template]]");
          } else {
            tb.groups[std::string(gk.str())] = gt->get();
          }
        }
        continue;
      }
      resolver.take(path, "[[" + kind + "]] " + tb.where, key, val, tb.options, true);
    }
    if (tb.name.empty()) {
      resolver.error(tb.where, "", "[[" + kind + "]]", "a table without name");
    } else {
      out.push_back(std::move(tb));
    }
  }
}

void resolve_catalogs(SlaveConfig& c, const Layer& globals, const std::vector<Table>& templates,
                      const std::vector<Table>& catalogs, std::map<dns::Name, std::string>& seen,
                      std::vector<std::string>& errors) {
  std::map<std::string, const Table*> by_name;
  for (const auto& t : templates)
    if (!by_name.emplace(t.name, &t).second)
      errors.push_back(fmt::format("{}: template \"{}\" is defined twice", t.where, t.name));
  for (const auto& cat : catalogs) {
    dns::Name name;
    try {
      name = zone_name(cat.name);
    } catch (const std::exception& e) {
      errors.push_back(fmt::format("{}: catalog \"{}\": {}", cat.where, cat.name, e.what()));
      continue;
    }
    if (auto [it, fresh] = seen.emplace(name, cat.where); !fresh) {
      errors.push_back(fmt::format("{}: catalog {} is already configured at {}", cat.where,
                                   name.to_string(), it->second));
      continue;
    }
    Layer base = globals;
    for (const auto& [k, v] : cat.options) base[k] = v;
    CatalogConfig cc;
    cc.name = name;
    cc.zone = resolve_zone(name, base, c, c.state_dir, errors);
    cc.settings = cc.zone.settings;
    // Members: the globals, then the catalog's table, then their group's template.
    auto add = [&](const std::string& group, const std::string& tname) {
      Layer l = base;
      if (!tname.empty()) {
        auto it = by_name.find(tname);
        if (it == by_name.end()) {
          errors.push_back(fmt::format("{}: catalog {}: group \"{}\": no [[template]] named \"{}\"",
                                       cat.where, name.to_string(), group, tname));
          return;
        }
        for (const auto& [k, v] : it->second->options) l[k] = v;
      }
      ZoneConfig t = resolve_zone(name, l, c, c.state_dir, errors);
      cc.settings += "group " + group + "=" + tname + "\n" + t.settings;
      cc.templates.emplace(group, std::move(t));
    };
    add("", cat.default_template);
    for (const auto& [group, tname] : cat.groups) add(group, tname);
    c.catalogs.push_back(std::move(cc));
  }
}

}  // namespace

ZoneConfig member_config(const ZoneConfig& tmpl, const dns::Name& zone, const std::string& catalog,
                         const std::string& group) {
  ZoneConfig z = tmpl;
  z.publisher.zone = zone;
  z.publisher.state_dir = z.state_root.empty() ? std::string() : zone_state_dir(z.state_root, zone);
  z.settings = member_settings(tmpl, catalog, group);
  return z;
}

ZoneEntry member_entry(const std::shared_ptr<const ZoneConfig>& tmpl, const dns::Name& zone,
                       const std::string& catalog, const std::string& group) {
  return ZoneEntry{
      zone, tmpl->state_root.empty() ? std::string() : zone_state_dir(tmpl->state_root, zone),
      member_settings(*tmpl, catalog, group), tmpl};
}

std::shared_ptr<const server::TransferAccess> transfer_access(const ZoneConfig& z) {
  auto access = std::make_shared<server::TransferAccess>();
  access->acl = z.allow_transfer;
  if (!z.transfer_keys.empty()) {
    access->keys = z.transfer_keys;
    access->requires_tsig = true;
  } else if (z.transfer.key) {
    // Without keys of their own, secondaries may sign with the key of the masters.
    access->keys.push_back(z.transfer.key->name);
  }
  return access;
}

std::shared_ptr<const ZoneConfig> shareable(ZoneConfig z) {
  z.publisher.zone = dns::Name();
  z.publisher.state_dir.clear();
  z.access = transfer_access(z);
  return std::make_shared<const ZoneConfig>(std::move(z));
}

std::vector<ZoneEntryPtr> share_settings(std::vector<ZoneConfig> zones) {
  // Zones resolved from option layers with the same values have the same settings digest and
  // differ only in name and state folder; signature_timing_set also depends on where a value
  // was given (an explicit default), and the state root is not in the digest.
  std::map<std::tuple<std::string, bool, std::string>, std::shared_ptr<const ZoneConfig>> seen;
  std::vector<ZoneEntryPtr> out;
  out.reserve(zones.size());
  for (auto& z : zones) {
    ZoneEntry e{z.publisher.zone, z.publisher.state_dir, z.settings, nullptr};
    auto& shared = seen[{z.settings, z.signature_timing_set, z.state_root}];
    if (!shared) shared = shareable(std::move(z));
    e.config = shared;
    out.push_back(std::make_shared<const ZoneEntry>(std::move(e)));
  }
  return out;
}

std::string member_settings(const ZoneConfig& tmpl, const std::string& catalog,
                            const std::string& group) {
  return "catalog=" + catalog + "\ngroup=" + group + "\n" + tmpl.settings;
}

dns::Name zone_name(std::string text) {
  if (text.empty() || text.back() != '.') text += '.';
  return dns::Name::parse(text);
}

SlaveConfig load_slave_config(const ConfigSource& source) {
  std::vector<std::string> errors;
  util::OptionFileReader resolver(slave_options(), errors);
  Layer file_globals;
  std::vector<util::ZoneEntry> zone_entries;
  for (const auto& z : source.zones) zone_entries.push_back({z, "command line", {}});
  std::vector<Table> templates, catalogs;

  if (!source.path.empty()) {
    const toml::table doc = util::parse_toml_file(source.path);
    for (auto&& [k, v] : doc) {
      const std::string key(k.str());
      if (key == "template" || key == "catalog") {
        read_tables(resolver, source.path, key, v, key == "template" ? templates : catalogs);
        continue;
      }
      if (key != "zone") {
        resolver.take(source.path, "", key, v, file_globals, false);
        continue;
      }
      // zone = "a" | ["a", "b"] (defaults only) | [[zone]] tables with overrides.
      resolver.read_zones(source.path, v, zone_entries);
    }
  }

  // Globals: defaults, then the file, then the command line.
  Layer globals = defaults();
  for (const auto& [k, g] : file_globals) globals[k] = g;
  for (const auto& [k, v] : source.command_line) globals[k] = Given{v, "command line"};

  SlaveConfig c;
  Reader g(globals, "", errors);
  g.each("listen", [&](const std::string& l) { c.listen.push_back(net::parse_endpoint(l, 53)); });
  if (!g.text("http").empty()) {
    g.each("http", [&](const std::string& h) {
      auto ep = net::parse_endpoint(h, 0);
      if (ep.port() == 0) throw std::invalid_argument("needs a port");
      c.http = boost::asio::ip::tcp::endpoint(ep.address(), ep.port());
    });
  }
  c.udp_threads = static_cast<unsigned>(g.number("udp-threads", 0, 1024));
  c.tcp_max = static_cast<size_t>(g.number("tcp-max-connections", 1, 1e6));
  c.tcp_per_client = static_cast<size_t>(g.number("tcp-per-client", 1, 1e6));
  c.tcp_reserved = static_cast<size_t>(g.number("tcp-reserved", 0, 1e6));
  if (c.tcp_reserved >= c.tcp_max) g.fail("tcp-reserved", "must be below tcp-max-connections");
  c.tcp_idle = g.duration("tcp-idle");
  c.max_transfers = static_cast<unsigned>(g.number("max-transfers", 1, 100000));
  c.max_signing = static_cast<unsigned>(g.number("max-signing", 0, 1024));
  c.rrl.rate = static_cast<uint32_t>(g.number("rrl-rate", 0, 1000000));
  c.rrl.slip = static_cast<uint32_t>(g.number("rrl-slip", 0, 100));
  c.rrl.ipv4_prefix = static_cast<unsigned>(g.number("rrl-ipv4-prefix", 0, 32));
  c.rrl.ipv6_prefix = static_cast<unsigned>(g.number("rrl-ipv6-prefix", 0, 128));
  g.each("rrl-exempt", [&](const std::string& p) { c.rrl.exempt.push_back(net::parse_prefix(p)); });
  c.cookie_secret_file = g.text("cookie-secret-file");
  c.state_dir = g.text("state-dir");
  c.log_level = g.text("log-level");
  util::LogLevel level;
  if (!util::parse_log_level(c.log_level, level))
    g.fail("log-level", "\"" + c.log_level + "\": expected debug, info, warning or error");
  if (!g.list("tsig").empty() && !g.list("tsig-file").empty())
    g.fail("tsig", "give --tsig or --tsig-file, not both");
  util::read_tsig_keys(g, c.keys);

  if (zone_entries.empty() && catalogs.empty())
    errors.push_back("no zone configured (--zone, zone/[[zone]] or [[catalog]] in the file)");
  if (c.state_dir.empty()) errors.push_back("state-dir: not set");
  std::map<dns::Name, std::string> seen;
  for (const auto& ze : zone_entries) {
    dns::Name name;
    try {
      name = zone_name(ze.name);
    } catch (const std::exception& e) {
      errors.push_back(fmt::format("{}: zone \"{}\": {}", ze.where, ze.name, e.what()));
      continue;
    }
    if (auto [it, fresh] = seen.emplace(name, ze.where); !fresh) {
      errors.push_back(fmt::format("{}: zone {} is already configured at {}", ze.where,
                                   name.to_string(), it->second));
      continue;
    }
    Layer l = globals;
    for (const auto& [k, v] : ze.options) l[k] = v;
    c.zones.push_back(resolve_zone(name, l, c, c.state_dir, errors));
  }
  resolve_catalogs(c, globals, templates, catalogs, seen, errors);
  if (!errors.empty()) throw ConfigError(util::join_lines(errors));
  return c;
}

}  // namespace flatsign::slave
