#include "slave/state.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/dns/rdata.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/log.hpp"
#include "common/zone/zonefile.hpp"
#include "slave/serial.hpp"
#include "slave/transfer_check.hpp"

namespace flatsign::slave {
namespace fs = std::filesystem;
using dns::RRType;

namespace {
std::string base_name(const dns::Name& zone) {
  std::string s = zone.lowercased().to_string();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

std::string zone_state_dir(const std::string& root, const dns::Name& zone) {
  return root + "/" + (zone.is_root() ? std::string("root.") : base_name(zone));
}

std::vector<std::string> list_state_root(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec))
    if (entry.is_regular_file()) out.push_back(entry.path().filename().string());
  return out;
}

std::string prepare_zone_state_dir(const std::string& root, const dns::Name& zone,
                                   const std::vector<std::string>* top, bool* created) {
  const std::string dir = zone_state_dir(root, zone);
  const std::string base = base_name(zone);
  std::error_code ec;
  if (created) *created = false;
  if (fs::is_directory(dir, ec) && !fs::exists(root + "/" + base + ".signed", ec) &&
      !fs::exists(root + "/" + base + ".serial", ec))
    return dir;
  bool made = false;
  for (const std::string& d : {root, dir}) {
    if (fs::is_directory(d, ec)) continue;
    fs::create_directories(d, ec);
    if (ec) throw StateError("cannot create " + d + ": " + ec.message());
    fs::permissions(d, fs::perms::owner_all, fs::perm_options::replace, ec);
    made = d == dir;
  }
  bool moved = false;
  // The one-folder layout kept every file of the zone beside the state directory's top: the
  // zone's files there are moved, a key file only when it is the zone's (K<zone>.+alg+tag).
  const std::string key_prefix = "K" + zone.lowercased().to_string() + "+";
  const std::vector<std::string> listed = top ? std::vector<std::string>() : list_state_root(root);
  for (const std::string& name : top ? *top : listed) {
    const bool ours = name == base + ".signed" || name == base + ".serial" ||
                      name == base + ".journal" || name.rfind(key_prefix, 0) == 0;
    if (!ours) continue;
    const std::string from = root + "/" + name, to = dir + "/" + name;
    if (!fs::exists(from, ec)) continue;  // moved since the listing
    if (fs::exists(to, ec))
      throw StateError("both " + from + " and " + to +
                       " exist: keep the right one and remove the other");
    fs::rename(from, to, ec);
    if (ec) throw StateError("cannot move " + from + " to " + dir + ": " + ec.message());
    moved = true;
    util::log(util::LogLevel::Info, "slave", zone.to_string(), "state: moved {} into {}", name,
              dir);
  }
  if (created) *created = made && !moved;
  return dir;
}

std::string signed_zone_path(const std::string& dir, const dns::Name& zone) {
  return dir + "/" + base_name(zone) + ".signed";
}

std::string serial_path(const std::string& dir, const dns::Name& zone) {
  return dir + "/" + base_name(zone) + ".serial";
}

std::string journal_path(const std::string& dir, const dns::Name& zone) {
  return dir + "/" + base_name(zone) + ".journal";
}

// A zone's first key (or KSK and ZSK), generated and stored in `kdir`.
static std::vector<dnssec::DnssecKey> create_keys(const std::string& kdir, const dns::Name& zone,
                                                  dnssec::Algorithm alg,
                                                  util::AtomicFileBatch* batch, bool ksk_and_zsk);

std::vector<dnssec::DnssecKey> load_or_create_keys(const std::string& dir, const dns::Name& zone,
                                                   dnssec::Algorithm alg,
                                                   util::AtomicFileBatch* batch,
                                                   const std::string& key_dir, bool ksk_and_zsk,
                                                   bool dir_is_new) {
  const std::string& kdir = key_dir.empty() ? dir : key_dir;
  // A folder made just now holds nothing to read (a start with thousands of new zones: four
  // listings and checks a zone less).
  if (dir_is_new && key_dir.empty()) return create_keys(dir, zone, alg, batch, ksk_and_zsk);
  std::vector<dnssec::DnssecKey> keys;
  for (const std::string& name : util::remove_abandoned_temp_files(dir))
    util::log(util::LogLevel::Info, "slave", zone.to_string(),
              "state: removed {}, left by a process stopped while writing it", name);
  try {
    keys = dnssec::load_keys(kdir, zone, /*require_private=*/false);
  } catch (const dnssec::KeyFileError& e) {
    throw StateError(std::string("corrupt key file: ") + e.what());
  }
  if (!keys.empty()) {
    if (keys.front().algorithm != alg) {
      util::log(util::LogLevel::Warning, "slave", zone.to_string(),
                "keeping the existing {} key {}; --algorithm {} applies to new zones, and to this "
                "one by an algorithm roll under key-policy csk-roll or ksk-zsk-roll",
                dnssec::algorithm_name(keys.front().algorithm), keys.front().tag,
                dnssec::algorithm_name(alg));
    }
    return keys;
  }
  if (fs::exists(signed_zone_path(dir, zone)) || fs::exists(serial_path(dir, zone))) {
    throw StateError("zone " + zone.to_string() + " was published from " + dir +
                     " but its key files are missing from " + kdir +
                     "; restore them (a new key would break the chain of trust)");
  }
  return create_keys(kdir, zone, alg, batch, ksk_and_zsk);
}

static std::vector<dnssec::DnssecKey> create_keys(const std::string& kdir, const dns::Name& zone,
                                                  dnssec::Algorithm alg,
                                                  util::AtomicFileBatch* batch, bool ksk_and_zsk) {
  std::vector<dnssec::DnssecKey> keys;
  auto key = dnssec::generate_key(zone, alg, dnssec::kFlagsKsk, std::time(nullptr));
  dnssec::store_key(key, kdir, batch);
  util::log(util::LogLevel::Info, "slave", zone.to_string(), "generated {} {}, key tag {}",
            dnssec::algorithm_name(alg), ksk_and_zsk ? "KSK" : "CSK", key.tag);
  keys.push_back(std::move(key));
  while (ksk_and_zsk) {
    auto zsk = dnssec::generate_key(zone, alg, dnssec::kFlagsZsk, std::time(nullptr));
    if (zsk.tag == keys.front().tag) continue;  // one tag per key (RFC 4034 App. B collisions)
    dnssec::store_key(zsk, kdir, batch);
    util::log(util::LogLevel::Info, "slave", zone.to_string(), "generated {} ZSK, key tag {}",
              dnssec::algorithm_name(alg), zsk.tag);
    keys.push_back(std::move(zsk));
    break;
  }
  return keys;
}

std::shared_ptr<const zone::Zone> load_signed_zone(const std::string& dir, const dns::Name& zone) {
  const std::string path = signed_zone_path(dir, zone);
  if (!fs::exists(path)) return nullptr;
  try {
    return zone::load_zone(path, zone).zone;
  } catch (const std::exception& e) {
    throw StateError("cannot load the last signed zone: " + std::string(e.what()));
  }
}

std::optional<uint32_t> load_last_serial(const std::string& dir, const dns::Name& zone,
                                         const zone::Zone* signed_zone) {
  std::optional<uint32_t> serial;
  if (signed_zone != nullptr) serial = signed_zone->serial();
  std::ifstream in(serial_path(dir, zone));
  unsigned long long v = 0;
  if (in >> v) {
    auto s = static_cast<uint32_t>(v);
    if (!serial || serial_gt(s, *serial)) serial = s;
  }
  return serial;
}

void store_last_serial(const std::string& dir, const dns::Name& zone, uint32_t serial) {
  util::write_file_atomically(serial_path(dir, zone), std::to_string(serial) + "\n", 0644);
}

std::string applied_serial_path(const std::string& dir, const dns::Name& zone) {
  return dir + "/" + base_name(zone) + ".master-serial";
}

std::optional<AppliedSerial> load_applied_serial(const std::string& dir, const dns::Name& zone) {
  std::ifstream in(applied_serial_path(dir, zone));
  unsigned long long master = 0, served = 0;
  if (!(in >> master >> served) || master > UINT32_MAX || served > UINT32_MAX) return std::nullopt;
  return AppliedSerial{static_cast<uint32_t>(master), static_cast<uint32_t>(served)};
}

void store_applied_serial(const std::string& dir, const dns::Name& zone, AppliedSerial a) {
  // Not synced (two fsyncs, as many as a small zone's signed file takes). It is read only when
  // its served serial is the one in the signed file, which is synced: a crash leaves it missing
  // (the next transfer is an AXFR) or older, and an older pair with the same served serial names
  // the same content (stored after an unchanged transfer), from which an IXFR still applies.
  util::replace_file(applied_serial_path(dir, zone),
                     std::to_string(a.master) + " " + std::to_string(a.served) + "\n", 0644);
}

std::shared_ptr<const zone::Zone> strip_signatures(const zone::Zone& signed_zone) {
  return signed_zone.without_types(is_signer_owned);
}

std::shared_ptr<const zone::Zone> with_serial(const zone::Zone& z, uint32_t serial) {
  // Only the apex's block is copied; the rest is shared with `z` (a full copy here briefly
  // doubled the unsigned zone at every publication).
  std::vector<dns::RRset> soa{z.soa()};
  dns::set_soa_serial(soa.front().rdatas.mutable_at(0), serial);
  return z.with_changes(std::move(soa));
}

}  // namespace flatsign::slave
