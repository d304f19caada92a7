#include "slave/key_roll.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace flatsign::slave {
namespace fs = std::filesystem;

namespace {

std::vector<dnssec::DnssecKey> existing_keys(const std::string& dir, const dns::Name& zone) {
  try {
    return dnssec::load_keys(dir, zone);
  } catch (const dnssec::KeyFileError& e) {
    throw std::runtime_error(std::string("corrupt key file: ") + e.what());
  }
}

}  // namespace

dnssec::DnssecKey roll_key(const std::string& dir, const dns::Name& zone,
                           std::optional<dnssec::Algorithm> alg, std::time_t now) {
  const auto keys = existing_keys(dir, zone);
  if (keys.empty()) {
    throw std::runtime_error("no keys for " + zone.to_string() + " in " + dir +
                             ": nothing to roll (the slave makes the first key at its first run)");
  }
  const dnssec::Algorithm a = alg.value_or(keys.front().algorithm);
  // Key tags are 16-bit checksums (RFC 4034 App. B): collisions are rare but make validators
  // try both keys and operators retire the wrong one, so draw again.
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto key = dnssec::generate_key(zone, a, dnssec::kFlagsKsk, now);
    const bool clash = std::any_of(keys.begin(), keys.end(),
                                   [&](const dnssec::DnssecKey& k) { return k.tag == key.tag; });
    if (clash) continue;
    dnssec::store_key(key, dir);
    return key;
  }
  throw std::runtime_error("no new key with an unused key tag after 16 tries");
}

std::vector<dnssec::DnssecKey> retire_key(const std::string& dir, const dns::Name& zone,
                                          uint16_t tag) {
  auto keys = existing_keys(dir, zone);
  auto it = std::find_if(keys.begin(), keys.end(),
                         [&](const dnssec::DnssecKey& k) { return k.tag == tag; });
  if (it == keys.end()) {
    throw std::runtime_error("no key with tag " + std::to_string(tag) + " for " + zone.to_string() +
                             " in " + dir);
  }
  const dnssec::DnssecKey retired = *it;
  keys.erase(it);
  if (std::none_of(keys.begin(), keys.end(), [](const auto& k) { return k.is_sep(); })) {
    throw std::runtime_error("key " + std::to_string(tag) +
                             " is the last KSK/CSK: roll a new one first (key roll)");
  }
  const fs::path to = fs::path(dir) / "retired";
  fs::create_directories(to);
  for (const char* ext : {".key", ".private"}) {
    const fs::path from = fs::path(dir) / (retired.file_base() + ext);
    if (fs::exists(from)) fs::rename(from, to / from.filename());
  }
  return keys;
}

}  // namespace flatsign::slave
