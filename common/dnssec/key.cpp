// DNSKEY/DS encoding, key tags and BIND key files (dnssec-keygen's v1.3 private-key format).
#include "common/dnssec/key.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/dns/encoding.hpp"
#include "common/util/atomic_file.hpp"

namespace flatsign::dnssec {
namespace {

std::string b64(std::span<const uint8_t> v) {
  std::string s;
  dns::base64_encode(v, s);
  return s;
}

// The timing fields in BIND's order, with their names in both files.
struct TimingField {
  const char* name;
  std::time_t KeyTiming::*field;
};
constexpr TimingField kTimingFields[] = {
    {"Publish", &KeyTiming::publish},          {"Activate", &KeyTiming::activate},
    {"Inactive", &KeyTiming::inactive},        {"Delete", &KeyTiming::remove},
    {"SyncPublish", &KeyTiming::sync_publish}, {"SyncDelete", &KeyTiming::sync_delete}};

bool is_timing_name(std::string_view name) {
  if (name == "Created") return true;
  return std::any_of(std::begin(kTimingFields), std::end(kTimingFields),
                     [&](const TimingField& f) { return name == f.name; });
}

// The timing a key is stored with: none set means Publish and Activate at creation
// (dnssec-keygen's default, and what every key written before timing was kept had).
KeyTiming stored_timing(const DnssecKey& key) {
  if (!key.timing.empty()) return key.timing;
  KeyTiming t;
  t.publish = t.activate = key.created;
  return t;
}

// "; Created: ...\n; Publish: ...\n" for the .key file (BIND adds the date in words).
std::string key_comments(const DnssecKey& key) {
  auto line = [](const char* name, std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char words[40];
    std::strftime(words, sizeof words, "%a %b %e %H:%M:%S %Y", &tm);
    return "; " + std::string(name) + ": " + key_timestamp(t) + " (" + words + ")\n";
  };
  const KeyTiming t = stored_timing(key);
  std::string out = key.created ? line("Created", key.created) : "";
  for (const auto& f : kTimingFields)
    if (t.*f.field) out += line(f.name, t.*f.field);
  return out;
}

std::string private_timing(const DnssecKey& key) {
  const KeyTiming t = stored_timing(key);
  std::string out = key.created ? "Created: " + key_timestamp(key.created) + "\n" : "";
  for (const auto& f : kTimingFields)
    if (t.*f.field) out += std::string(f.name) + ": " + key_timestamp(t.*f.field) + "\n";
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KeyFileError("cannot read key file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string strip_ext(const std::string& path) {
  for (const char* ext : {".key", ".private"}) {
    size_t n = std::strlen(ext);
    if (path.size() > n && path.compare(path.size() - n, n, ext) == 0)
      return path.substr(0, path.size() - n);
  }
  return path;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Parses the DNSKEY line of a .key file (comments start with ';').
DnssecKey parse_key_file(const std::string& path) {
  std::string text = read_file(path);
  std::istringstream lines(text);
  std::string line;
  std::time_t created = 0;
  KeyTiming timing;
  while (std::getline(lines, line)) {
    if (line.rfind(';', 0) == 0) {  // "; Publish: 20240101000000 (Mon Jan  1 ...)"
      std::istringstream cs(line.substr(1));
      std::string name, value;
      cs >> name >> value;
      if (!name.empty() && name.back() == ':') name.pop_back();
      if (name == "Created") created = parse_key_timestamp(value);
      for (const auto& f : kTimingFields)
        if (name == f.name) timing.*f.field = parse_key_timestamp(value);
    }
    if (auto semi = line.find(';'); semi != std::string::npos) line.resize(semi);
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string t; ls >> t;)
      if (t != "(" && t != ")") tok.push_back(t);
    auto it = std::find_if(tok.begin(), tok.end(), [](auto& t) { return iequals(t, "DNSKEY"); });
    if (tok.empty() || it == tok.end()) continue;
    size_t i = static_cast<size_t>(it - tok.begin());
    if (i == 0 || tok.size() < i + 5)
      throw KeyFileError("corrupt key file " + path + ": malformed DNSKEY record");
    DnssecKey key;
    key.zone = dns::Name::parse(tok[0]);
    try {
      key.flags = static_cast<uint16_t>(std::stoul(tok[i + 1]));
      if (tok[i + 2] != "3") throw KeyFileError("protocol is not 3");
      auto alg = algorithm_from_string(tok[i + 3]);
      if (!alg) throw KeyFileError("unsupported algorithm " + tok[i + 3]);
      key.algorithm = *alg;
    } catch (const std::exception& e) {
      throw KeyFileError("corrupt key file " + path + ": " + e.what());
    }
    std::string joined;
    for (size_t k = i + 4; k < tok.size(); ++k) joined += tok[k];
    if (!dns::base64_decode(joined, key.public_key) || key.public_key.empty())
      throw KeyFileError("corrupt key file " + path + ": bad base64 public key");
    key.tag = key_tag(key.dnskey_rdata());
    key.created = created;  // BIND writes the comments before the record
    key.timing = timing;
    return key;
  }
  throw KeyFileError("corrupt key file " + path + ": no DNSKEY record");
}

// Reads "Field: value" lines of a .private file.
std::map<std::string, std::string> parse_private(const std::string& path) {
  std::string text = read_file(path);
  std::map<std::string, std::string> fields;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
      value.pop_back();
    fields[line.substr(0, colon)] = value;
  }
  if (!fields.count("Private-key-format") || !fields.count("Algorithm"))
    throw KeyFileError("corrupt key file " + path + ": not a private-key file");
  return fields;
}

}  // namespace

std::string key_timestamp(std::time_t t) {  // BIND's YYYYMMDDHHMMSS, UTC
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

std::time_t parse_key_timestamp(std::string_view s) {
  if (s.size() < 14 || !std::all_of(s.begin(), s.begin() + 14, [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      }))
    return 0;
  std::tm tm{};
  const std::string digits(s.substr(0, 14));
  if (!strptime(digits.c_str(), "%Y%m%d%H%M%S", &tm)) return 0;
  return timegm(&tm);
}

dns::Rdata make_dnskey_rdata(uint16_t flags, uint8_t algorithm, std::span<const uint8_t> key) {
  dns::Rdata r(4 + key.size());
  r[0] = static_cast<uint8_t>(flags >> 8);
  r[1] = static_cast<uint8_t>(flags);
  r[2] = 3;  // RFC 4034 §2.1.2: protocol 3
  r[3] = algorithm;
  std::copy(key.begin(), key.end(), r.begin() + 4);
  return r;
}

uint16_t key_tag(std::span<const uint8_t> rdata) {
  uint32_t ac = 0;  // RFC 4034 Appendix B
  for (size_t i = 0; i < rdata.size(); ++i) ac += (i & 1) ? rdata[i] : uint32_t{rdata[i]} << 8;
  ac += (ac >> 16) & 0xFFFF;
  return static_cast<uint16_t>(ac & 0xFFFF);
}

dns::Rdata make_ds_rdata(const dns::Name& owner, std::span<const uint8_t> dnskey,
                         DigestType digest) {
  std::vector<uint8_t> input;
  auto lower = owner.lowercased();
  input.insert(input.end(), lower.wire().begin(), lower.wire().end());
  input.insert(input.end(), dnskey.begin(), dnskey.end());
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  const EVP_MD* m = digest == DigestType::SHA384 ? EVP_sha384() : EVP_sha256();
  if (!EVP_Digest(input.data(), input.size(), md, &len, m, nullptr))
    throw CryptoError("crypto: DS digest failed");
  uint16_t tag = key_tag(dnskey);
  dns::Rdata r(4 + len);
  r[0] = static_cast<uint8_t>(tag >> 8);
  r[1] = static_cast<uint8_t>(tag);
  r[2] = dnskey[3];
  r[3] = static_cast<uint8_t>(digest);
  std::copy(md, md + len, r.begin() + 4);
  return r;
}

dns::Rr DnssecKey::dnskey_rr(uint32_t ttl) const {
  return dns::Rr{zone, dns::RRType::DNSKEY, dns::RRClass::IN, ttl, dnskey_rdata()};
}

dns::Rdata DnssecKey::ds_rdata(DigestType digest) const {
  return make_ds_rdata(zone, dnskey_rdata(), digest);
}

std::string DnssecKey::file_base() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+%03u+%05u", unsigned(algorithm), unsigned(tag));
  return "K" + zone.lowercased().to_string() + buf;
}

DnssecKey generate_key(const dns::Name& zone, Algorithm alg, uint16_t flags, std::time_t now) {
  DnssecKey key;
  key.zone = zone;
  key.flags = flags;
  key.algorithm = alg;
  key.private_key = PrivateKey::generate(alg);
  key.public_key = key.private_key->public_key();
  key.tag = key_tag(key.dnskey_rdata());
  key.created = now;
  return key;
}

std::string store_key(const DnssecKey& key, const std::string& dir, util::AtomicFileBatch* batch) {
  const KeyMaterial& m = key.private_key->material();
  std::string alg = std::to_string(unsigned(key.algorithm));
  std::string pub = "; This is a " + std::string(key.is_sep() ? "key-signing" : "zone-signing") +
                    " key, keyid " + std::to_string(key.tag) + ", for " + key.zone.to_string() +
                    "\n" + key_comments(key) + key.zone.to_string() + " IN DNSKEY " +
                    std::to_string(key.flags) + " 3 " + alg + " " + b64(key.public_key) + "\n";
  std::string priv =
      "Private-key-format: v1.3\nAlgorithm: " + alg + " (" + algorithm_name(key.algorithm) + ")\n";
  if (key.algorithm == Algorithm::RSASHA256) {
    const std::pair<const char*, const std::vector<uint8_t>*> fields[] = {
        {"Modulus", &m.modulus},
        {"PublicExponent", &m.public_exponent},
        {"PrivateExponent", &m.private_exponent},
        {"Prime1", &m.prime1},
        {"Prime2", &m.prime2},
        {"Exponent1", &m.exponent1},
        {"Exponent2", &m.exponent2},
        {"Coefficient", &m.coefficient}};
    for (auto& [name, value] : fields) priv += std::string(name) + ": " + b64(*value) + "\n";
  } else {
    priv += "PrivateKey: " + b64(m.private_key) + "\n";
  }
  priv += private_timing(key);
  std::string base = dir + "/" + key.file_base();
  if (batch) {
    batch->add(base + ".private", priv, 0600);
    batch->add(base + ".key", pub, 0644);
  } else {
    util::write_file_atomically(base + ".private", priv, 0600);
    util::write_file_atomically(base + ".key", pub, 0644);
  }
  return base + ".private";
}

DnssecKey load_key(const std::string& path, bool require_private) {
  std::string base = strip_ext(path);
  DnssecKey key = parse_key_file(base + ".key");
  std::string priv_path = base + ".private";
  if (!require_private && !std::filesystem::exists(priv_path)) return key;
  auto f = parse_private(priv_path);
  // The .private's timing wins over the .key's comments (BIND keeps both the same).
  if (f.count("Created")) key.created = parse_key_timestamp(f["Created"]);
  KeyTiming timing;
  for (const auto& tf : kTimingFields)
    if (f.count(tf.name)) timing.*tf.field = parse_key_timestamp(f[tf.name]);
  key.timing = timing;
  auto alg = algorithm_from_string(f["Algorithm"].substr(0, f["Algorithm"].find(' ')));
  if (!alg || *alg != key.algorithm)
    throw KeyFileError("corrupt key file " + priv_path + ": algorithm differs from the .key file");
  KeyMaterial m;
  m.algorithm = *alg;
  auto decode = [&](const char* name, std::vector<uint8_t>& out) {
    if (!f.count(name) || !dns::base64_decode(f[name], out) || out.empty())
      throw KeyFileError("corrupt key file " + priv_path + ": missing or bad " + name);
  };
  if (is_rsa_algorithm(*alg)) {
    decode("Modulus", m.modulus);
    decode("PublicExponent", m.public_exponent);
    decode("PrivateExponent", m.private_exponent);
    decode("Prime1", m.prime1);
    decode("Prime2", m.prime2);
    decode("Exponent1", m.exponent1);
    decode("Exponent2", m.exponent2);
    decode("Coefficient", m.coefficient);
  } else {
    decode("PrivateKey", m.private_key);
  }
  try {
    key.private_key = PrivateKey::from_material(std::move(m));
  } catch (const CryptoError& e) {
    throw KeyFileError("corrupt key file " + priv_path + ": " + e.what());
  }
  if (key.private_key->public_key() != key.public_key)
    throw KeyFileError("key files disagree: " + priv_path + " does not match " + base + ".key");
  return key;
}

void store_key_timing(const std::string& dir, const DnssecKey& key) {
  const std::string base = dir + "/" + key.file_base();
  // Each file keeps every line but the timing ones; the new timing goes where BIND puts it
  // (comments before the DNSKEY record; lines after the key material).
  auto rewrite = [&](const std::string& path, bool comments) {
    std::istringstream lines(read_file(path));
    std::string out, line;
    bool placed = false;
    while (std::getline(lines, line)) {
      std::string_view v(line);
      if (comments && v.starts_with(";")) v.remove_prefix(1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      const auto colon = v.find(':');
      const bool timing_line = (!comments || line.starts_with(";")) &&
                               colon != std::string_view::npos &&
                               is_timing_name(v.substr(0, colon));
      if (timing_line) continue;
      if (comments && !placed && !line.starts_with(";") && !line.empty()) {
        out += key_comments(key);
        placed = true;
      }
      out += line + "\n";
    }
    if (!comments) out += private_timing(key);
    return out;
  };
  std::error_code ec;
  if (std::filesystem::exists(base + ".private", ec))
    util::write_file_atomically(base + ".private", rewrite(base + ".private", false), 0600);
  util::write_file_atomically(base + ".key", rewrite(base + ".key", true), 0644);
}

std::vector<DnssecKey> load_keys(const std::string& dir, const dns::Name& zone,
                                 bool require_private) {
  std::vector<DnssecKey> keys;
  std::string prefix = "K" + zone.lowercased().to_string() + "+";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || !iequals(name.substr(0, prefix.size()), prefix) ||
        !name.ends_with(".key"))
      continue;
    const std::string base = strip_ext(entry.path().string());
    // A .key alone is a public-only key (or one whose .private went away): without
    // require_private it is still published when its timing says so.
    if (require_private && !std::filesystem::exists(base + ".private")) continue;
    keys.push_back(load_key(base, require_private));
  }
  if (ec) throw KeyFileError("cannot list key directory " + dir + ": " + ec.message());
  std::sort(keys.begin(), keys.end(), [](const DnssecKey& a, const DnssecKey& b) {
    return std::pair(!a.is_sep(), a.tag) < std::pair(!b.is_sep(), b.tag);
  });
  return keys;
}

}  // namespace flatsign::dnssec
