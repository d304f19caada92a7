#include "master/serial_store.hpp"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"
#include "common/util/atomic_file.hpp"

namespace flatsign::master {

std::string serial_path(const std::string& dir, const dns::Name& origin) {
  std::string base = origin.lowercased().to_string();
  if (origin.is_root()) {
    base = "root.";
  } else if (base.size() > 1 && base.back() == '.') {
    base.pop_back();
  }
  return dir + "/" + base + ".serial";
}

std::optional<StoredSerial> read_stored_serial(const std::string& dir, const dns::Name& origin) {
  const std::string path = serial_path(dir, origin);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string key1, key2, digest_hex;
  uint64_t serial = 0;
  if (!(in >> key1 >> serial >> key2 >> digest_hex) || key1 != "serial" || key2 != "digest" ||
      serial > UINT32_MAX)
    throw std::runtime_error(path +
                             ": not a serial file (expected \"serial N\" and \"digest HEX\")");
  StoredSerial s;
  s.serial = static_cast<uint32_t>(serial);
  try {
    size_t used = 0;
    s.digest = std::stoull(digest_hex, &used, 16);
    if (used != digest_hex.size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw std::runtime_error(path + ": bad digest \"" + digest_hex + "\"");
  }
  return s;
}

void write_stored_serial(const std::string& dir, const dns::Name& origin, const StoredSerial& s) {
  util::write_file_atomically(serial_path(dir, origin),
                              fmt::format("serial {}\ndigest {:016x}\n", s.serial, s.digest), 0644);
}

uint64_t content_digest(const zone::Zone& z) {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 unavailable");
  auto add = [&](const void* p, size_t n) { EVP_DigestUpdate(ctx.get(), p, n); };
  for (const zone::Node& node : z.nodes()) {
    for (const dns::RRset& rs : node.rrsets) {
      const auto owner = rs.owner.lowercased();
      add(owner.wire().data(), owner.wire().size());
      const std::array<uint8_t, 6> head{static_cast<uint8_t>(static_cast<uint16_t>(rs.type) >> 8),
                                        static_cast<uint8_t>(static_cast<uint16_t>(rs.type)),
                                        static_cast<uint8_t>(rs.ttl >> 24),
                                        static_cast<uint8_t>(rs.ttl >> 16),
                                        static_cast<uint8_t>(rs.ttl >> 8),
                                        static_cast<uint8_t>(rs.ttl)};
      add(head.data(), head.size());
      for (dns::RdataRef rd : rs.rdatas) {
        const uint8_t len[2] = {static_cast<uint8_t>(rd.size() >> 8),
                                static_cast<uint8_t>(rd.size())};
        add(len, 2);
        if (rs.type == dns::RRType::SOA) {
          std::vector<uint8_t> copy(rd.begin(), rd.end());
          dns::set_soa_serial(copy, 0);  // the serial is what the digest stands beside
          add(copy.data(), copy.size());
        } else {
          add(rd.data(), rd.size());
        }
      }
    }
  }
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &n);
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | md[i];
  return out;
}

}  // namespace flatsign::master
