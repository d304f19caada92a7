#include "slave/config.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/dns/error.hpp"
#include "common/dns/rdata.hpp"
#include "common/dnssec/crypto.hpp"
#include "common/util/log.hpp"
#include "slave/state.hpp"

namespace flatsign::slave {
namespace {

// One option's values and where they were given ("FILE:LINE", "command line", "default").
struct Given {
  std::vector<std::string> values;
  std::string where;
};
using Layer = std::map<std::string, Given>;

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
    set("verify", {"sampled"});
    set("serial-policy", {"increment"});
    set("poll-mode", {"axfr"});
    set("max-shrink", {"0.5"});
    // The largest zones benchmarked (1M names) transfer 1.4M records; a master (or whoever
    // speaks for it) sending far more is refused before it fills the slave's memory.
    set("max-records", {"3000000"});
    set("alert-after", {"3"});
    set("sign-threads", {"0"});
    set("expiry-alert", {"259200"});
    set("journal-max", {"100"});
    set("log-level", {"info"});
    set("max-transfers", {"8"});
    set("notify-tsig", {"required"});
    set("hook-min-interval", {"60"});
    set("hook-burst", {"3"});
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

const OptionSpec* find_spec(std::string_view name) {
  for (const auto& s : slave_options())
    if (name == s.name) return &s;
  return nullptr;
}

// A TOML value as option text: strings as they are, numbers and booleans as written.
std::optional<std::string> scalar_text(const toml::node& n) {
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = n.as_boolean()) return std::string(b->get() ? "true" : "false");
  return std::nullopt;
}

std::string where_of(const std::string& path, const toml::node& n) {
  return fmt::format("{}:{}", path, n.source().begin.line);
}

class Resolver {
 public:
  explicit Resolver(std::vector<std::string>& errors) : errors_(errors) {}

  // Reads one option of a layer into `out`; records an error (and leaves `out`) when it is bad.
  void take(const std::string& path, const std::string& context, const std::string& key,
            const toml::node& value, Layer& out, bool zone_table) {
    const std::string where = where_of(path, value);
    const OptionSpec* spec = find_spec(key);
    if (!spec) {
      error(where, context, key, "unknown option");
      return;
    }
    if (zone_table && !spec->per_zone) {
      error(where, context, key, "is a global option: set it outside the [[zone]] tables");
      return;
    }
    Given g{{}, where};
    if (auto a = value.as_array()) {
      if (!spec->list && a->size() != 1) {
        error(where, context, key, "takes one value, not a list");
        return;
      }
      for (const auto& e : *a) {
        auto t = scalar_text(e);
        if (!t) return error(where, context, key, "list elements must be strings or numbers");
        g.values.push_back(*t);
      }
    } else if (auto t = scalar_text(value)) {
      g.values.push_back(*t);
    } else {
      return error(where, context, key, "expected a string, a number or a list");
    }
    out[key] = std::move(g);
  }

  void error(const std::string& where, const std::string& context, const std::string& key,
             const std::string& why) {
    errors_.push_back(
        fmt::format("{}: {}{}{}: {}", where, context, context.empty() ? "" : ": ", key, why));
  }

 private:
  std::vector<std::string>& errors_;
};

// Typed reads of one resolved option, each recording its error with where it was given.
class Reader {
 public:
  Reader(const Layer& layer, std::string context, std::vector<std::string>& errors)
      : layer_(layer), context_(std::move(context)), errors_(errors) {}

  const std::vector<std::string>& list(const std::string& key) const {
    static const std::vector<std::string> none;
    auto it = layer_.find(key);
    return it == layer_.end() ? none : it->second.values;
  }
  std::string text(const std::string& key) const {
    const auto& v = list(key);
    return v.empty() ? std::string() : v.back();
  }
  double number(const std::string& key, double min, double max) {
    const std::string t = text(key);
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v) || v < min || v > max) {
      fail(key, fmt::format("\"{}\" is not a number from {} to {}", t, min, max));
      return min;
    }
    return v;
  }
  // Seconds as a number ("1.5") or a DNS duration ("1h30m").
  std::chrono::milliseconds duration(const std::string& key) {
    const std::string t = text(key);
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc() && p == t.data() + t.size() && std::isfinite(v) && v >= 0)
      return std::chrono::milliseconds(static_cast<long long>(v * 1000));
    if (auto ttl = dns::parse_ttl(t)) return std::chrono::seconds(*ttl);
    fail(key, fmt::format("\"{}\" is not a duration (seconds, or e.g. 1h30m)", t));
    return std::chrono::milliseconds(0);
  }
  template <typename F>
  void each(const std::string& key, F&& f) {
    for (const auto& v : list(key)) {
      try {
        f(v);
      } catch (const std::exception& e) {
        fail(key, fmt::format("\"{}\": {}", v, e.what()));
      }
    }
  }
  void fail(const std::string& key, const std::string& why) {
    auto it = layer_.find(key);
    const std::string where = it == layer_.end() ? "default" : it->second.where;
    errors_.push_back(
        fmt::format("{}: {}{}{}: {}", where, context_, context_.empty() ? "" : ": ", key, why));
  }

 private:
  const Layer& layer_;
  std::string context_;
  std::vector<std::string>& errors_;
};

// The zone's options as text, for comparing two configurations of it.
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
  return out;
}

ZoneConfig resolve_zone(const dns::Name& name, const Layer& l, const SlaveConfig& global,
                        const std::string& state_root, std::vector<std::string>& errors) {
  Reader r(l, "zone " + name.to_string(), errors);
  ZoneConfig z;
  z.settings = settings_text(l);
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
  z.alert_after = static_cast<unsigned>(r.number("alert-after", 1, 1e6));
  r.each("notify", [&](const std::string& n) { z.notify.push_back(net::parse_endpoint(n, 53)); });
  if (!r.list("allow-transfer").empty()) {
    std::vector<net::Prefix> prefixes;
    r.each("allow-transfer",
           [&](const std::string& a) { prefixes.push_back(net::parse_prefix(a)); });
    z.allow_transfer = net::Acl(std::move(prefixes));
  }
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
  auto& pc = z.publisher;
  pc.zone = name;
  z.state_root = state_root;
  pc.state_dir = state_root.empty() ? std::string() : zone_state_dir(state_root, name);
  const std::string alg_text = r.text("algorithm");
  auto alg = dnssec::algorithm_from_string(alg_text);
  if (!alg || !dnssec::can_sign(*alg)) {
    r.fail("algorithm", "\"" + alg_text + "\" unsupported (ecdsap256sha256, ed25519, rsasha256)");
  } else {
    pc.algorithm = *alg;
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
  pc.on_change = r.text("on-change");
  pc.on_alert = r.text("on-alert");
  pc.hook_min_interval = static_cast<uint32_t>(r.duration("hook-min-interval").count() / 1000);
  pc.hook_burst = static_cast<uint32_t>(r.number("hook-burst", 1, 1000));
  pc.sign_threads = static_cast<unsigned>(r.number("sign-threads", 0, 1024));
  pc.expiry_alert = static_cast<uint32_t>(r.number("expiry-alert", 0, 1e9));
  pc.journal.max_versions = static_cast<size_t>(r.number("journal-max", 0, 1e9));
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

void read_tables(Resolver& resolver, const std::string& path, const std::string& kind,
                 const toml::node& v, std::vector<Table>& out) {
  auto arr = v.as_array();
  if (!arr || !arr->is_array_of_tables()) {
    resolver.error(where_of(path, v), "", kind, "expected [[" + kind + "]] tables");
    return;
  }
  for (auto& e : *arr) {
    const auto& t = *e.as_table();
    Table tb{"", where_of(path, e), {}, {}, {}};
    for (auto&& [k, val] : t) {
      const std::string key(k.str());
      auto text = val.as_string();
      if (key == "name" || (kind == "catalog" && key == "template")) {
        if (!text) {
          resolver.error(where_of(path, val), "[[" + kind + "]]", key, "must be a string");
          continue;
        }
        (key == "name" ? tb.name : tb.default_template) = text->get();
        continue;
      }
      if (kind == "catalog" && key == "groups") {
        auto g = val.as_table();
        if (!g) {
          resolver.error(where_of(path, val), "[[catalog]]", key,
                         "expected a table of group = \"template\"");
          continue;
        }
        for (auto&& [gk, gv] : *g) {
          auto gt = gv.as_string();
          if (!gt) {
            resolver.error(where_of(path, gv), "[[catalog]] groups", std::string(gk.str()),
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
  z.settings = "catalog=" + catalog + "\ngroup=" + group + "\n" + tmpl.settings;
  return z;
}

const std::vector<OptionSpec>& slave_options() {
  static const std::vector<OptionSpec> specs = {
      {"listen", "address:port to answer queries, transfers and NOTIFY on (repeat)", false, true},
      {"state-dir", "root of the state: each zone's keys, signed zone and serial in <dir>/<zone>/",
       false, false},
      {"master", "master address:port (repeat: tried in order)", true, true},
      {"poll-interval", "seconds (or 1m, 1h) between polls, +-5% jitter", true, false},
      {"poll-mode",
       "axfr: transfer every poll (any master) | soa: ask the SOA serial first and skip the "
       "transfer when it did not change",
       true, false},
      {"connect-timeout", "seconds", true, false},
      {"read-timeout", "seconds a single read may stall", true, false},
      {"transfer-timeout", "seconds a whole transfer may take", true, false},
      {"notify-tsig",
       "required: with a TSIG key, NOTIFY must be signed with it | optional: unsigned NOTIFYs "
       "from the masters' addresses are taken too",
       true, false},
      {"notify-min-interval", "seconds between two polls of a zone, however many NOTIFYs", true,
       false},
      {"algorithm", "ecdsap256sha256 | ed25519 | rsasha256 (new keys)", true, false},
      {"denial", "nsec | nsec3", true, false},
      {"verify",
       "check before publishing: sampled (every signature of an incremental change; on a full "
       "sign each kind of signature once plus 1 in 64) | full (every signature)",
       true, false},
      {"serial-policy", "increment | unixtime | dateserial", true, false},
      {"on-change", "shell command run with a JSON change document", true, false},
      {"on-alert", "shell command run when a transfer is refused", true, false},
      {"hook-min-interval",
       "after hook-burst on-change runs, one per this many seconds; publications in between are "
       "batched into one run (0: a run each)",
       true, false},
      {"hook-burst", "on-change runs allowed at once before hook-min-interval applies", true,
       false},
      {"tsig", "name:algorithm:base64 TSIG key (repeat)", false, true},
      {"tsig-file", "BIND key file with TSIG keys (repeat; keeps secrets out of argv)", false,
       true},
      {"tsig-key", "name of the zone's TSIG key (needed when several keys are known)", true, false},
      {"expiry-alert",
       "alert signatures-expiring when the earliest RRSIG expires within this many seconds, or "
       "a due refresh fails",
       true, false},
      {"max-shrink", "refuse when more than this share of RRsets vanish", true, false},
      {"max-records", "refuse larger transfers", true, false},
      {"alert-after", "alert after this many unreachable polls", true, false},
      {"notify", "secondary address:port to NOTIFY after a publication (repeat)", true, true},
      {"allow-transfer", "prefix allowed to transfer the signed zone (repeat; default loopback)",
       true, true},
      {"journal-max", "IXFR journal: versions kept (0: none, IXFR answered by AXFR)", true, false},
      {"sign-threads", "signing threads per publication; 0: one per core", true, false},
      {"max-transfers", "transfers in at once over all zones", false, false},
      {"max-signing", "publication jobs (sign, verify, write) at once; 0: one per core", false,
       false},
      {"udp-threads", "threads answering UDP queries; 0: one per core", false, false},
      {"tcp-max-connections", "TCP connections at once on the listeners", false, false},
      {"tcp-per-client", "TCP connections one client address may hold", false, false},
      {"tcp-reserved",
       "of tcp-max-connections, kept for clients an allow-transfer list names (secondaries)", false,
       false},
      {"tcp-idle",
       "seconds an idle TCP connection stays open (shrinks to 1 s as the slots fill, RFC 7766)",
       false, false},
      {"log-level", "debug | info | warning | error", false, false},
      {"rrl-rate", "UDP responses per second per client prefix and name (rate limiting); 0: off",
       false, false},
      {"rrl-slip", "every Nth limited response is sent truncated (TC) instead of dropped; 0: none",
       false, false},
      {"rrl-ipv4-prefix", "IPv4 clients are counted per prefix of this length", false, false},
      {"rrl-ipv6-prefix", "IPv6 clients are counted per prefix of this length", false, false},
      {"rrl-exempt", "prefix never rate limited (repeat)", false, true},
      {"cookie-secret-file",
       "DNS cookie secret: 32 hex digits, a second line for the previous one; re-read when it "
       "changes. Unset: random, rotated daily",
       false, false},
      {"http",
       "address:port for GET /metrics (Prometheus) and GET /status (JSON); unauthenticated, keep "
       "it on loopback",
       false, false},
  };
  return specs;
}

dns::Name zone_name(std::string text) {
  if (text.empty() || text.back() != '.') text += '.';
  return dns::Name::parse(text);
}

SlaveConfig load_slave_config(const ConfigSource& source) {
  std::vector<std::string> errors;
  Resolver resolver(errors);
  Layer file_globals;
  // (name, where, the zone's own table)
  struct ZoneEntry {
    std::string name, where;
    Layer options;
  };
  std::vector<ZoneEntry> zone_entries;
  for (const auto& z : source.zones) zone_entries.push_back({z, "command line", {}});
  std::vector<Table> templates, catalogs;

  if (!source.path.empty()) {
    toml::table doc;
    try {
      doc = toml::parse_file(source.path);
    } catch (const toml::parse_error& e) {
      throw ConfigError(fmt::format("{}:{}:{}: {}", source.path, e.source().begin.line,
                                    e.source().begin.column, e.description()));
    }
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
      if (auto s = v.as_string()) {
        zone_entries.push_back({s->get(), where_of(source.path, v), {}});
        continue;
      }
      auto arr = v.as_array();
      if (!arr) {
        resolver.error(where_of(source.path, v), "", "zone",
                       "expected a name, names or [[zone]] tables");
        continue;
      }
      for (auto& e : *arr) {
        if (auto s = e.as_string()) {
          zone_entries.push_back({s->get(), where_of(source.path, e), {}});
          continue;
        }
        auto t = e.as_table();
        if (!t) {
          resolver.error(where_of(source.path, e), "", "zone", "expected a name or a table");
          continue;
        }
        ZoneEntry ze{"", where_of(source.path, e), {}};
        for (auto&& [zk, zv] : *t) {
          const std::string zkey(zk.str());
          if (zkey == "name") {
            auto s = zv.as_string();
            if (!s)
              resolver.error(where_of(source.path, zv), "", "name", "must be a string");
            else
              ze.name = s->get();
            continue;
          }
          resolver.take(source.path, "[[zone]] " + ze.where, zkey, zv, ze.options, true);
        }
        if (ze.name.empty())
          resolver.error(ze.where, "", "[[zone]]", "a table without name");
        else
          zone_entries.push_back(std::move(ze));
      }
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
  g.each("tsig", [&](const std::string& t) { c.keys.push_back(dns::parse_tsig_key(t)); });
  g.each("tsig-file", [&](const std::string& f) {
    auto keys = dns::load_tsig_key_file(f);
    if (keys.empty()) throw std::invalid_argument("no key in the file");
    for (auto& k : keys) c.keys.push_back(std::move(k));
  });
  {
    std::set<dns::Name> names;
    for (const auto& k : c.keys)
      if (!names.insert(k.name).second)
        g.fail("tsig", "key " + k.name.to_string() + " given twice");
  }

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
  if (!errors.empty()) {
    std::string text;
    for (const auto& e : errors) text += (text.empty() ? "" : "\n") + e;
    throw ConfigError(text);
  }
  return c;
}

}  // namespace flatsign::slave
