// TSIG (RFC 8945): known answers from dnspython for all three HMACs, BADSIG/BADKEY/BADTIME,
// multi-message streams with and without unsigned gaps, and key string/file parsing.
#include "common/dns/tsig.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "common/dns/error.hpp"

using namespace flatsign::dns;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(const std::string& s) {
  Bytes b;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    b.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return b;
}

constexpr uint64_t kTime = 1700000000;
const std::string kSecretB64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

TsigKey key(const std::string& name, TsigAlgorithm alg) {
  return parse_tsig_key(name + ":" + std::string(tsig_algorithm_text(alg)) + ":" + kSecretB64);
}

// The message without its TSIG RR and with ARCOUNT decremented.
Bytes strip_tsig(const Bytes& wire) {
  Message m = parse_message(wire);
  Bytes b(wire.begin(), wire.begin() + static_cast<ptrdiff_t>(m.tsig_offset));
  b[11] = static_cast<uint8_t>(b[11] - 1);
  return b;
}

Rcode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const TsigError& e) {
    return e.code();
  }
  return Rcode::NOERROR;
}

// Known answers from dnspython 2.3 (time 1700000000, fudge 300, secret
// "0123456789abcdef0123456789abcdef").
struct SingleVector {
  TsigAlgorithm alg;
  const char* unsigned_query;
  const char* signed_query;
  const char* mac;
  const char* response;
};
const SingleVector kSingle[] = {
    {TsigAlgorithm::HmacSha256, "123401000001000000000000076578616d706c6503636f6d0000060001",
     "123401000001000000000001076578616d706c6503636f6d00000600010454657374034b65790000"
     "fa00ff00000000003d0b686d61632d7368613235360000006553f100012c0020f71484263499b549"
     "54caa9a06c42129152a33ccacefee981be138589ad3751a4123400000000",
     "f71484263499b54954caa9a06c42129152a33ccacefee981be138589ad3751a4",
     "123481000001000100000001076578616d706c6503636f6d0000060001c00c000100010000012c00"
     "04c00002010454657374034b65790000fa00ff00000000003d0b686d61632d736861323536000000"
     "6553f100012c0020060a7787f63b3375f361b069c86ee4a0c3d071cff51115b9b8bc2ccdfd12e5e9"
     "123400000000"},
    {TsigAlgorithm::HmacSha1, "123401000001000000000000076578616d706c6503636f6d0000060001",
     "123401000001000000000001076578616d706c6503636f6d00000600010454657374034b65790000"
     "fa00ff00000000002f09686d61632d736861310000006553f100012c0014520d3b1ccb851e9a0dc6"
     "cdaab88e86b7cea6e3ab123400000000",
     "520d3b1ccb851e9a0dc6cdaab88e86b7cea6e3ab",
     "123481000001000100000001076578616d706c6503636f6d0000060001c00c000100010000012c00"
     "04c00002010454657374034b65790000fa00ff00000000002f09686d61632d736861310000006553"
     "f100012c0014875283bdf6f5d55f77edbcfd7f8a81cf70f08202123400000000"},
    {TsigAlgorithm::HmacSha512, "123401000001000000000000076578616d706c6503636f6d0000060001",
     "123401000001000000000001076578616d706c6503636f6d00000600010454657374034b65790000"
     "fa00ff00000000005d0b686d61632d7368613531320000006553f100012c0040ff4420886d8f3686"
     "642c867ad7496812ca901fd414a076aab85447dd65632ae6259d10be1e4be93537bc2aa6b29e7f79"
     "969eabffc15cf63cfee7fc382b126dad123400000000",
     "ff4420886d8f3686642c867ad7496812ca901fd414a076aab85447dd65632ae6259d10be1e4be935"
     "37bc2aa6b29e7f79969eabffc15cf63cfee7fc382b126dad",
     "123481000001000100000001076578616d706c6503636f6d0000060001c00c000100010000012c00"
     "04c00002010454657374034b65790000fa00ff00000000005d0b686d61632d736861353132000000"
     "6553f100012c0040622ab562c245cba38653ae31a277c6413d5370e128d514fce204b0f17c587971"
     "d233dc2a063fb944826f27e442998bba2012899b94ba6be786b15b26a656c62d123400000000"},
};
const char* const kXfr_req =
    "222201000001000000000001076578616d706c6503636f6d0000fc000103786672036b65790000fa"
    "00ff00000000003d0b686d61632d7368613235360000006553f100012c0020e55e9e5f78ee64482a"
    "325b8c299cea4d8398b3991d0862c72089da4c931744c2222200000000";
const char* const kXfr_reqmac = "e55e9e5f78ee64482a325b8c299cea4d8398b3991d0862c72089da4c931744c2";
const char* const kXfr_all0 =
    "222281000001000100000001076578616d706c6503636f6d0000fc0001026830c00c000100010000"
    "012c0004c000020103786672036b65790000fa00ff00000000003d0b686d61632d73686132353600"
    "00006553f100012c0020b494e0d9b8efdf2a09f9e19ab5d459997dcdedcaf7e2290bcd747c2c137b"
    "97cd222200000000";
const char* const kXfr_all1 =
    "222281000000000100000001026831076578616d706c6503636f6d00000100010000012c0004c000"
    "020203786672036b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100"
    "012c00204c7a681eae042c046e1644d5a2171c0669138adbb04f52ac967c606cf6a3fa9222220000"
    "0000";
const char* const kXfr_all2 =
    "222281000000000100000001026832076578616d706c6503636f6d00000100010000012c0004c000"
    "020303786672036b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100"
    "012c00203670e7eacdd0f423ead7df8ecd4a7561e6fc54b99177d03be9e1984dd088f4ae22220000"
    "0000";
const char* const kXfr_gap0 =
    "222281000001000100000001076578616d706c6503636f6d0000fc0001026830c00c000100010000"
    "012c0004c000020103786672036b65790000fa00ff00000000003d0b686d61632d73686132353600"
    "00006553f100012c0020b494e0d9b8efdf2a09f9e19ab5d459997dcdedcaf7e2290bcd747c2c137b"
    "97cd222200000000";
const char* const kXfr_gap1 =
    "222281000000000100000000026831076578616d706c6503636f6d00000100010000012c0004c000"
    "0202";
const char* const kXfr_gap2 =
    "222281000000000100000001026832076578616d706c6503636f6d00000100010000012c0004c000"
    "020303786672036b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f100"
    "012c0020f4884d1e885d1b927ab4d91dd21e86d47a7ca5b19c18328c8df2fe3fcfd5331b22220000"
    "0000";

}  // namespace

TEST_CASE("TSIG signs like dnspython and verifies its responses", "[tsig]") {
  for (const auto& v : kSingle) {
    SECTION(std::string(tsig_algorithm_text(v.alg))) {
      TsigKey k = key("Test.Key.", v.alg);
      Bytes wire = hex(v.unsigned_query);
      Bytes mac = tsig_sign(wire, k, kTime);
      CHECK(wire == hex(v.signed_query));
      CHECK(mac == hex(v.mac));
      CHECK(mac.size() == tsig_mac_size(v.alg));
      // The signed query verifies as a request; the response with the request MAC.
      Message q = parse_message(wire);
      CHECK(tsig_verify(wire, q, k, kTime) == mac);
      Bytes resp = hex(v.response);
      Message r = parse_message(resp);
      CHECK_NOTHROW(tsig_verify(resp, r, k, kTime + 10, mac));
      CHECK(tsig_record(r).original_id == 0x1234);
      // Space reserved for TSIG matches what the signature took.
      CHECK(tsig_space(k, 0) == wire.size() - hex(v.unsigned_query).size());
    }
  }
}

TEST_CASE("TSIG verification failures are named", "[tsig]") {
  const auto& v = kSingle[0];
  TsigKey k = key("test.key.", v.alg);
  Bytes wire = hex(v.signed_query);
  Message q = parse_message(wire);
  auto verify = [&](const Bytes& w, const TsigKey& key, uint64_t now) {
    return [&, now] { (void)tsig_verify(w, parse_message(w), key, now); };
  };
  CHECK(code_of(verify(wire, k, kTime)) == Rcode::NOERROR);  // key names compare case-blind
  SECTION("BADSIG: a flipped bit in the message") {
    Bytes bad = wire;
    bad[2] ^= 0x10;  // AD bit
    CHECK(code_of(verify(bad, k, kTime)) == Rcode::BADSIG);
  }
  SECTION("BADSIG: a flipped bit in the MAC") {
    Bytes bad = wire;
    bad[bad.size() - 12] ^= 1;
    CHECK(code_of(verify(bad, k, kTime)) == Rcode::BADSIG);
  }
  SECTION("BADSIG: wrong secret") {
    TsigKey other = k;
    other.secret[0] ^= 1;
    CHECK(code_of(verify(wire, other, kTime)) == Rcode::BADSIG);
  }
  SECTION("BADSIG: response verified without the request MAC") {
    Bytes resp = hex(v.response);
    CHECK(code_of(verify(resp, k, kTime)) == Rcode::BADSIG);
  }
  SECTION("BADKEY: other key name or algorithm") {
    CHECK(code_of(verify(wire, key("other.key.", v.alg), kTime)) == Rcode::BADKEY);
    CHECK(code_of(verify(wire, key("test.key.", TsigAlgorithm::HmacSha512), kTime)) ==
          Rcode::BADKEY);
  }
  SECTION("BADTIME: outside the fudge either way, at the edge accepted") {
    CHECK(code_of(verify(wire, k, kTime + 300)) == Rcode::NOERROR);
    CHECK(code_of(verify(wire, k, kTime - 300)) == Rcode::NOERROR);
    CHECK(code_of(verify(wire, k, kTime + 301)) == Rcode::BADTIME);
    CHECK(code_of(verify(wire, k, kTime - 301)) == Rcode::BADTIME);
  }
  SECTION("BADSIG: unsigned message") {
    Bytes plain = hex(v.unsigned_query);
    CHECK(code_of(verify(plain, k, kTime)) == Rcode::BADSIG);
  }
  SECTION("server side: keyring lookup") {
    std::vector<TsigKey> ring = {key("a.key.", v.alg), k};
    Bytes mac;
    CHECK(tsig_verify_request(wire, q, ring, kTime, mac).name == k.name);
    CHECK(mac == hex(v.mac));
    std::vector<TsigKey> none = {key("a.key.", v.alg)};
    CHECK(code_of([&] { (void)tsig_verify_request(wire, q, none, kTime, mac); }) == Rcode::BADKEY);
  }
}

TEST_CASE("TSIG error responses", "[tsig]") {
  TsigKey k = key("test.key.", TsigAlgorithm::HmacSha256);
  Bytes query = hex(kSingle[0].unsigned_query);
  Bytes qmac = tsig_sign(query, k, kTime);
  Message q = parse_message(query);
  Bytes resp = hex(kSingle[0].unsigned_query);
  resp[2] |= 0x80;
  resp[3] = 9;  // NOTAUTH (RFC 8945 §5.2)
  SECTION("BADTIME is signed and carries the server time") {
    Bytes other = {0, 0, 0x65, 0x53, 0xF2, 0};
    (void)tsig_sign(resp, k, kTime + 1000, qmac, kTsigDefaultFudge, Rcode::BADTIME, other);
    Message r = parse_message(resp);
    CHECK(tsig_record(r).other == other);
    CHECK(code_of([&] { (void)tsig_verify(resp, r, k, kTime + 1000, qmac); }) == Rcode::BADTIME);
  }
  SECTION("BADSIG answers are unsigned with the request's key") {
    tsig_append_error(resp, tsig_record(q), Rcode::BADSIG, kTime);
    Message r = parse_message(resp);
    REQUIRE(r.tsig);
    CHECK(tsig_record(r).mac.empty());
    CHECK(tsig_record(r).error == static_cast<uint16_t>(Rcode::BADSIG));
    CHECK(code_of([&] { (void)tsig_verify(resp, r, k, kTime, qmac); }) == Rcode::BADSIG);
  }
}

TEST_CASE("TSIG multi-message streams (RFC 8945 §5.3.1)", "[tsig][axfr]") {
  TsigKey k = key("xfr.key.", TsigAlgorithm::HmacSha256);
  Bytes reqmac = hex(kXfr_reqmac);
  const Bytes all[] = {hex(kXfr_all0), hex(kXfr_all1), hex(kXfr_all2)};
  const Bytes gap[] = {hex(kXfr_gap0), hex(kXfr_gap1), hex(kXfr_gap2)};
  SECTION("request MAC matches dnspython") {
    Bytes req = strip_tsig(hex(kXfr_req));
    CHECK(tsig_sign(req, k, kTime) == reqmac);
  }
  SECTION("dnspython's all-signed stream verifies and is reproduced") {
    TsigStreamVerifier v(k, reqmac);
    TsigStreamSigner s(k, reqmac);
    for (const auto& w : all) {
      v.next(w, parse_message(w), kTime);
      Bytes mine = strip_tsig(w);
      s.sign(mine, kTime);
      CHECK(mine == w);
    }
    CHECK_NOTHROW(v.finish());
  }
  SECTION("dnspython's stream with an unsigned message verifies and is reproduced") {
    TsigStreamVerifier v(k, reqmac);
    TsigStreamSigner s(k, reqmac);
    for (int i = 0; i < 3; ++i) {
      v.next(gap[i], parse_message(gap[i]), kTime);
      if (i == 1) {
        s.add_unsigned(gap[i]);
        continue;
      }
      Bytes mine = strip_tsig(gap[i]);
      s.sign(mine, kTime);
      CHECK(mine == gap[i]);
    }
    CHECK_NOTHROW(v.finish());
  }
  SECTION("a tampered middle message fails at the next signed one") {
    Bytes bad = gap[1];
    bad.back() ^= 1;
    TsigStreamVerifier v(k, reqmac);
    v.next(gap[0], parse_message(gap[0]), kTime);
    v.next(bad, parse_message(bad), kTime);
    CHECK(code_of([&] { v.next(gap[2], parse_message(gap[2]), kTime); }) == Rcode::BADSIG);
  }
  SECTION("stream ending unsigned, or starting unsigned") {
    TsigStreamVerifier v(k, reqmac);
    v.next(gap[0], parse_message(gap[0]), kTime);
    v.next(gap[1], parse_message(gap[1]), kTime);
    CHECK(code_of([&] { v.finish(); }) == Rcode::BADSIG);
    TsigStreamVerifier w(k, reqmac);
    CHECK(code_of([&] { w.next(gap[1], parse_message(gap[1]), kTime); }) == Rcode::BADSIG);
  }
  SECTION("99 unsigned messages in a row are accepted, 100 are not") {
    for (int run : {99, 100}) {
      TsigStreamSigner s(k, reqmac);
      TsigStreamVerifier v(k, reqmac);
      Bytes first = strip_tsig(all[0]);
      s.sign(first, kTime);
      v.next(first, parse_message(first), kTime);
      Rcode got = Rcode::NOERROR;
      for (int i = 0; i < run && got == Rcode::NOERROR; ++i) {
        Bytes plain = strip_tsig(all[1]);
        s.add_unsigned(plain);
        got = code_of([&] { v.next(plain, parse_message(plain), kTime); });
      }
      if (got == Rcode::NOERROR) {
        Bytes last = strip_tsig(all[2]);
        s.sign(last, kTime);
        got = code_of([&] { v.next(last, parse_message(last), kTime); });
      }
      CHECK(got == (run == 99 ? Rcode::NOERROR : Rcode::BADSIG));
    }
  }
}

TEST_CASE("TSIG key strings", "[tsig][key]") {
  TsigKey a = parse_tsig_key("xfr.example:hmac-sha512:" + kSecretB64);
  CHECK(a.name.to_string() == "xfr.example.");
  CHECK(a.algorithm == TsigAlgorithm::HmacSha512);
  CHECK(a.secret.size() == 32);
  TsigKey b = parse_tsig_key("hmac-sha1:xfr.example.:" + kSecretB64);  // dig -y order
  CHECK(b.algorithm == TsigAlgorithm::HmacSha1);
  CHECK(b.name.to_string() == "xfr.example.");
  TsigKey c = parse_tsig_key("xfr:" + kSecretB64);
  CHECK(c.algorithm == TsigAlgorithm::HmacSha256);
  CHECK(tsig_algorithm_from_text("HMAC-SHA256.") == TsigAlgorithm::HmacSha256);
  CHECK_FALSE(tsig_algorithm_from_text("hmac-md5"));
  CHECK_THROWS_AS(parse_tsig_key("xfr:hmac-md5:" + kSecretB64), ParseError);
  CHECK_THROWS_AS(parse_tsig_key("xfr:hmac-sha256:not*base64"), ParseError);
  CHECK_THROWS_AS(parse_tsig_key("justaname"), ParseError);
  CHECK_THROWS_AS(parse_tsig_key("a:b:c:d"), ParseError);
}

TEST_CASE("BIND key files", "[tsig][key]") {
  const std::string file =
      "# generated by tsig-keygen\n"
      "key \"transfer.example\" {\n"
      "\talgorithm hmac-sha256;\n"
      "\tsecret \"" +
      kSecretB64 +
      "\";\n"
      "};\n"
      "/* a second key */ key other. { algorithm HMAC-SHA1; // legacy\n"
      "  secret \"" +
      kSecretB64 + "\"; };\n";
  auto keys = parse_tsig_key_file(file);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].name.to_string() == "transfer.example.");
  CHECK(keys[0].algorithm == TsigAlgorithm::HmacSha256);
  CHECK(keys[1].name.to_string() == "other.");
  CHECK(keys[1].algorithm == TsigAlgorithm::HmacSha1);
  CHECK(keys[1].secret == keys[0].secret);
  auto error_of = [](const std::string& text) {
    try {
      (void)parse_tsig_key_file(text);
    } catch (const ParseError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of("key \"k\" {\n algorithm hmac-sha256;\n};\n").find("line 1") != std::string::npos);
  CHECK(error_of("key k {\n algorithm hmac-sha256;\n secret \"@@\";\n};").find("line 3") !=
        std::string::npos);
  CHECK(error_of("key k { algorithm hmac-sha256 secret \"x\"; };") != "");
  CHECK(error_of("options { };") != "");
  CHECK(error_of("key k { algorithm hmac-sha256; secret \"" + kSecretB64 + "\"; }") != "");
  CHECK(error_of(std::string("key \0 { };", 10)) != "");  // a NUL octet ends no loop
  CHECK(error_of("key k { /* unterminated") != "");
  CHECK_THROWS_AS(load_tsig_key_file("/nonexistent/key.conf"), ParseError);
}
