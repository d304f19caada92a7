// DNS cookies (common/server/cookies, common/util/siphash): SipHash-2-4 against the paper's
// vectors and OpenSSL's implementation, RFC 9018 Appendix A's server cookies, verification
// (lifetime, client address, previous secret, tampering), COOKIE option lengths (RFC 7873
// §5.2.2) and the shared secret file.
#include <catch2/catch.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "common/server/cookies.hpp"
#include "common/util/siphash.hpp"

using namespace flatsign;
using boost::asio::ip::make_address;
using server::CookieVerdict;
using server::ServerCookies;

namespace {

std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

util::SipKey key_of(const std::string& h) {
  util::SipKey k{};
  auto v = unhex(h);
  std::copy(v.begin(), v.end(), k.begin());
  return k;
}

std::string hex(std::span<const uint8_t> b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

// OpenSSL's SipHash (EVP_MAC "SIPHASH", 8-octet output, 2 and 4 rounds): an independent oracle.
std::array<uint8_t, 8> openssl_siphash(const util::SipKey& key, std::span<const uint8_t> data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  REQUIRE(mac);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  size_t size = 8;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                         OSSL_PARAM_construct_end()};
  REQUIRE(EVP_MAC_init(ctx, key.data(), key.size(), params) == 1);
  REQUIRE(EVP_MAC_update(ctx, data.data(), data.size()) == 1);
  std::array<uint8_t, 8> out{};
  size_t n = 0;
  REQUIRE(EVP_MAC_final(ctx, out.data(), &n, out.size()) == 1);
  REQUIRE(n == 8);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return out;
}

server::QueryCookie query_cookie(const std::vector<uint8_t>& data) {
  dns::Edns e;
  e.options.push_back({server::kCookieOption, data});
  return server::read_cookie(e);
}

std::string temp_path(const std::string& name) {
  return "/tmp/flatsign_cookies_test_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace

TEST_CASE("siphash: the reference vectors and OpenSSL agree", "[cookies]") {
  // Paper (Aumasson, Bernstein), key 00..0f, message 00..len-1.
  util::SipKey key{};
  for (size_t i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> msg;
  CHECK(util::siphash24(key, msg) == 0x726fdb47dd0e0e31ULL);
  for (uint8_t i = 0; i < 15; ++i) msg.push_back(i);
  CHECK(util::siphash24(key, msg) == 0xa129ca6149be45e5ULL);  // the paper's worked example
  // Every length across the 8-octet word boundaries, against OpenSSL.
  msg.clear();
  for (size_t len = 0; len < 64; ++len) {
    INFO("length " << len);
    CHECK(util::siphash24_bytes(key, msg) == openssl_siphash(key, msg));
    msg.push_back(static_cast<uint8_t>(len));
  }
}

TEST_CASE("cookies: RFC 9018 Appendix A server cookies", "[cookies]") {
  auto secret = key_of("e5e973e5a6b2a43f48e7dc849e37bfcf");
  struct Case {
    const char* client_cookie;
    const char* ip;
    uint32_t at;
    const char* want;
  };
  for (const Case& c : {Case{"2464c4abcf10c957", "198.51.100.100", 1559731985,
                             "010000005cf79f111f8130c3eee29480"},  // A.1
                        Case{"2464c4abcf10c957", "198.51.100.100", 1559734385,
                             "010000005cf7a871d4a564a1442aca77"},  // A.2
                        Case{"fc93fc62807ddb86", "203.0.113.203", 1559734700,
                             "010000005cf7a9acf73a7810aca2381e"}}) {  // A.3
    auto cc = unhex(c.client_cookie);
    auto cookie = ServerCookies::make(secret, std::span<const uint8_t, 8>(cc.data(), 8),
                                      make_address(c.ip), c.at);
    CHECK(hex(cookie) == c.want);
  }
}

TEST_CASE("cookies: COOKIE option lengths (RFC 7873 §5.2.2)", "[cookies]") {
  CHECK(server::read_cookie(std::nullopt).verdict == CookieVerdict::Absent);
  CHECK(server::read_cookie(dns::Edns{}).verdict == CookieVerdict::Absent);
  CHECK(query_cookie(std::vector<uint8_t>(8, 1)).verdict == CookieVerdict::ClientOnly);
  for (size_t n : {16u, 24u, 40u})
    CHECK(query_cookie(std::vector<uint8_t>(n, 1)).verdict == CookieVerdict::Invalid);
  for (size_t n : {0u, 7u, 9u, 15u, 41u})
    CHECK(query_cookie(std::vector<uint8_t>(n, 1)).verdict == CookieVerdict::Malformed);
  // Only the first COOKIE option counts (RFC 7873 §5.2).
  dns::Edns e;
  e.options.push_back({server::kCookieOption, std::vector<uint8_t>(8, 1)});
  e.options.push_back({server::kCookieOption, std::vector<uint8_t>(3, 1)});
  CHECK(server::read_cookie(e).verdict == CookieVerdict::ClientOnly);
}

TEST_CASE("cookies: verification, lifetime and the previous secret", "[cookies]") {
  ServerCookies jar;
  const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
  auto client = make_address("192.0.2.10");
  auto cq = query_cookie({1, 2, 3, 4, 5, 6, 7, 8});
  REQUIRE(cq.verdict == CookieVerdict::ClientOnly);
  CHECK(jar.check(cq, client, now) == CookieVerdict::ClientOnly);
  auto reply = jar.reply_option(cq, client, now);
  REQUIRE(reply.size() == 24);
  CHECK(std::equal(reply.begin(), reply.begin() + 8, cq.client.begin()));
  auto back = query_cookie(reply);  // the client's next query carries both
  CHECK(jar.check(back, client, now) == CookieVerdict::Valid);
  CHECK(jar.check(back, make_address("192.0.2.11"), now) == CookieVerdict::Invalid);
  CHECK(jar.check(back, client, now + 3600) == CookieVerdict::Valid);
  CHECK(jar.check(back, client, now + 3601) == CookieVerdict::Invalid);  // RFC 9018 §4.3
  CHECK(jar.check(back, client, now - 300) == CookieVerdict::Valid);
  CHECK(jar.check(back, client, now - 301) == CookieVerdict::Invalid);  // from the future
  auto tampered = reply;
  tampered[23] ^= 1;
  CHECK(jar.check(query_cookie(tampered), client, now) == CookieVerdict::Invalid);
  auto other_client_cookie = reply;
  other_client_cookie[0] ^= 1;
  CHECK(jar.check(query_cookie(other_client_cookie), client, now) == CookieVerdict::Invalid);
  // Rollover: the previous secret is still accepted, the one before is not.
  jar.rotate(key_of("00112233445566778899aabbccddeeff"));
  CHECK(jar.check(back, client, now) == CookieVerdict::Valid);
  auto fresh = query_cookie(jar.reply_option(cq, client, now));
  jar.rotate(key_of("ffeeddccbbaa99887766554433221100"));
  CHECK(jar.check(back, client, now) == CookieVerdict::Invalid);
  CHECK(jar.check(fresh, client, now) == CookieVerdict::Valid);
}

TEST_CASE("cookies: a shared secret file, re-read when it changes", "[cookies]") {
  const std::string path = temp_path("secret");
  {
    std::ofstream f(path);
    f << "# shared by every slave behind this address\ne5e973e5a6b2a43f48e7dc849e37bfcf\n";
  }
  auto secrets = ServerCookies::load_file(path);
  REQUIRE(secrets.size() == 1);
  CHECK(secrets[0] == key_of("e5e973e5a6b2a43f48e7dc849e37bfcf"));
  // Two servers with the same file make the same cookies: RFC 9018 A.1 again.
  ServerCookies a(path), b(path);
  auto cq = query_cookie(unhex("2464c4abcf10c957"));
  auto client = make_address("198.51.100.100");
  const uint32_t now = static_cast<uint32_t>(std::time(nullptr));
  auto from_a = query_cookie(a.reply_option(cq, client, now));
  CHECK(b.check(from_a, client, now) == CookieVerdict::Valid);
  // A new secret in the file: picked up at the next check a minute on, the old one accepted.
  {
    std::ofstream f(path);
    f << "00112233445566778899aabbccddeeff\n";
  }
  CHECK(b.check(from_a, client, now + 61) == CookieVerdict::Valid);
  auto from_b = query_cookie(b.reply_option(cq, client, now + 61));
  CHECK(from_b.server != from_a.server);
  CHECK(b.check(from_b, client, now + 61) == CookieVerdict::Valid);
  {
    std::ofstream f(path);
    f << "not hex\n";
  }
  CHECK_THROWS_WITH(ServerCookies::load_file(path), Catch::Contains(":1: want 32 hex digits"));
  std::remove(path.c_str());
  CHECK_THROWS(ServerCookies(path));
}
