// Keys: known-answer key tags and DS digests from BIND, reading dnssec-keygen's files, writing
// files BIND reads back, clear errors for missing or corrupt files.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/dns/encoding.hpp"
#include "common/dnssec/key.hpp"
#include "tests/unit/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace flatsign;
using namespace flatsign::dnssec;

namespace {

// Produced by (BIND 9.18, Debian 12):
//   dnssec-keygen -q -a ECDSAP256SHA256 -f KSK example.com
//   dnssec-keygen -q -a ED25519 example.com
//   dnssec-keygen -q -a RSASHA256 -b 2048 -f KSK example.com
// and the DS lines by `dnssec-dsfromkey -2 K*.key` and `dnssec-dsfromkey -a SHA-384 K*.key`.
struct KeyFile {
  const char* base;
  const char* key;
  const char* priv;
  uint16_t tag;
  const char* ds256;
  const char* ds384;
};

const KeyFile k008{
    "Kexample.com.+008+17849",
    "; This is a key-signing key, keyid 17849, for example.com.\n"
    "; Created: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
    "; Publish: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
    "; Activate: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
    "example.com. IN DNSKEY 257 3 8 AwEAAc4Hhvk+tEjU2lWryd+LW8q3TrUzEW0OyZwW1oP96tGvLQQ0KjhQ "
    "LsiJknACpZoocLmzOS3ieAEGIdoQ+3lgpkVh4yZncmJWnnexzzmTmU3D "
    "OZYhW4AozuZ3DQ9Hy5FN6jjJDDt/bp57avkGZoOIu5/wFvtZ/4fXgXd+ "
    "R82GYLLtvP8/Y9e6Ek1jCdBSqLYb82y6+cWxeVI0wvaGAT5IWbe+HFl2 "
    "y2GOihpPfH599O8UmURUAjJhNdOP1wEi0El9ZBYcktdopaSZMhJjQHhd "
    "xoZ8InyRm3XEZYeasWlF+Z0WUfkAYyj4xSrLDm0qTuqlNQ3O2c04tsmp ZAmlJg2cR1E=\n",
    "Private-key-format: v1.3\n"
    "Algorithm: 8 (RSASHA256)\n"
    "Modulus: "
    "zgeG+T60SNTaVavJ34tbyrdOtTMRbQ7JnBbWg/"
    "3q0a8tBDQqOFAuyImScAKlmihwubM5LeJ4AQYh2hD7eWCmRWHjJmdyYlaed7HPOZOZTcM5liFbgCjO5ncND0fLkU3qOMkM"
    "O39unntq+QZmg4i7n/AW+1n/h9eBd35HzYZgsu28/"
    "z9j17oSTWMJ0FKothvzbLr5xbF5UjTC9oYBPkhZt74cWXbLYY6KGk98fn307xSZRFQCMmE104/"
    "XASLQSX1kFhyS12ilpJkyEmNAeF3GhnwifJGbdcRlh5qxaUX5nRZR+"
    "QBjKPjFKssObSpO6qU1Dc7ZzTi2yalkCaUmDZxHUQ==\n"
    "PublicExponent: AQAB\n"
    "PrivateExponent: "
    "WWmEdtnZMI8vZP6otw5DrjYScl2dsmnSFQUHeg2ejfr4Dlr7kUGhcmZB2idL6k48NyfdW/"
    "LTIZ6hRYHmB0cEFOUZlaq1rJFRNG2pZ2zzmxieZTxH+"
    "XAiwOHpr2ssOfyv9igXDVTAYDovf0mUmhpwH3j45rXbSTJXFwSdJK5GSPmCcyDSt5VBdSmxuesRz/"
    "PL8Bo1exBgZ3taws6wDPC+hNc0i0u8lrfYqdc5OnokKBEFAqsQM1/oJDOPrvVnXp4ZEpNA/"
    "d+QKoTnDUuiRJh8BrQnQdjVtlNluYHCQEtmDyNGM5L4w5KYIxGI7VCB+SdaaauPcMEBz+ne8DY7fXEp\n"
    "Prime1: "
    "8+"
    "JcLzgZnBevlTWpPbgsIItXLywFwk2OGNupmqO2D7AOITSCKaJmDwdyaqkWPFIe6Q7qvXHOISqyYHPSdrcTQGnl4aIt0VhA"
    "pgvN3/moGHrSGLI91w21PpKx0ZAwh9qgnamu5GU0a/TXfjSZGtBd9wEL+jyNm0Je0nhXEHsj7+0=\n"
    "Prime2: "
    "2EO98ItV3glqwKs5NieXyBKz3uqcmvrWr/9MRjYKz//"
    "jT0irK849XlAvl1HVAvZYmExAUFhWAFhts6YnXTGWdJLt0VAgb0g9Musq9EfND+zQkOiDBbXNdaUsbTGsfLI/"
    "BGgXuINgcOwSRkP5gVKXI2XhlOI0j4JnpBzANg66IHU=\n"
    "Exponent1: "
    "Gk9LHpTwvlQXzwLw9QWPTRt7Fk2reWCgebIIw/PxShP2EkL138PzOp/VCgifq3Y4e2/"
    "uhu1mDVHr2FfmVoQ9gW9rK0IxqynYH5GabhUiuzFUxPFFlpOV/"
    "+AXasIhWiaNuTR694yrcRICxUyrT6c229SzFBXAOQWZ8R6mVdLS96k=\n"
    "Exponent2: "
    "m2bKNPCayktwB3TCTrTSr3UpBVUHJaJ75MoKECXDTUWuHIm2Xmr71CrAl/"
    "a4n0FP1lhsmo9vdR4V7lLF1ITOfYQbGh5+"
    "wBhjyZQNMK3rn7bnBEnf5JmIQzJmoyxfqtcWy17VNMRK57nrQ8ySnKgxbMFIAQkvBbSKLvZt9CpO+wU=\n"
    "Coefficient: "
    "U0Kjdj1JF3vNStVT53x036O2CtLBU6uweLnRMJgT8lQBwLiR99imPs5F8fCPiewOqBPOqGCVVpATzLlFHFlFvw1g1uJNe2"
    "RPG8JJC0Sq+pYwd4djcthHO3WAioIZkbfTFpIhweq11W7DIU/Ui/hHd2FxcL5/ltje2/IOnB5Nr/U=\n"
    "Created: 20261123110833\n"
    "Publish: 20261123110833\n"
    "Activate: 20261123110833\n",
    17849,
    "0CE60C0FFFFA3D2753D28FC84618912AA6DAD304F4EA56CEC722F704CB914EB3",
    "61EF6056FDA255E9C3E3636C49E41A144FCBC67CE9A5C41CA868B937D9389C0ECBA27F0DD37428EF1AC32752C107A7"
    "BC"};

const KeyFile k013{
    "Kexample.com.+013+26712",
    "; This is a key-signing key, keyid 26712, for example.com.\n"
    "; Created: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
    "; Publish: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
    "; Activate: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
    "example.com. IN DNSKEY 257 3 13 rzHNxyvytd32A2g2XRFoZP+anJ6W/ukB7T6t0zU0dh5FTp7jxWHvfumR "
    "tPRF9a0RjPSTDJIIp4NTKSRfpjrdQA==\n",
    "Private-key-format: v1.3\n"
    "Algorithm: 13 (ECDSAP256SHA256)\n"
    "PrivateKey: zqXh3wkqiHde3navidjauaLlVf8eLEHf1VBYFIqm93k=\n"
    "Created: 20261123110833\n"
    "Publish: 20261123110833\n"
    "Activate: 20261123110833\n",
    26712,
    "58B8092038FB42FCAF00717D0CB36AB36C249441381FBCEEBADB9C6546945420",
    "FE8012576FF2D39FE03938B3F1C53986D25A41F960D2AFBE04B35CD33844E87FB497E77DF700A8A259C8415DB3975B"
    "0E"};

const KeyFile k015{"Kexample.com.+015+38564",
                   "; This is a zone-signing key, keyid 38564, for example.com.\n"
                   "; Created: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
                   "; Publish: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
                   "; Activate: 20261123110833 (Mon Nov 23 11:08:33 2026)\n"
                   "example.com. IN DNSKEY 256 3 15 2w88QLFYgaH25znJh41yFMRfMzO+4ZqIaY0jFM7XcYE=\n",
                   "Private-key-format: v1.3\n"
                   "Algorithm: 15 (ED25519)\n"
                   "PrivateKey: mT3GwiaFSHAgZnUV3Rv6W8BFREvs9XslQqq0fwjbUvs=\n"
                   "Created: 20261123110833\n"
                   "Publish: 20261123110833\n"
                   "Activate: 20261123110833\n",
                   38564,
                   "68523FBA9D4C90165175D52BF8D67B248B7F5A33F787B9040CEA53623E52CEC6",
                   "480D5466745C1D0FE3B2A5CC153F38035CB751023AA4E18F0371A92D674093C73298B979D57ECF8"
                   "EB30AC8E7B7ED0FD0"};
using TempDir = flatsign::testing::TempDir;

void put(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string hex(std::span<const uint8_t> v) {
  std::string s;
  dns::hex_encode(v, s);
  return s;
}

}  // namespace

TEST_CASE("keys: BIND's key files load with BIND's tag and DS digests", "[dnssec][key]") {
  const KeyFile& kf = GENERATE(std::cref(k013), std::cref(k015), std::cref(k008));
  TempDir dir("keys");
  put(dir.path / (std::string(kf.base) + ".key"), kf.key);
  put(dir.path / (std::string(kf.base) + ".private"), kf.priv);
  DnssecKey key = load_key((dir.path / kf.base).string() + ".private");
  CHECK(key.tag == kf.tag);
  CHECK(key_tag(key.dnskey_rdata()) == kf.tag);
  CHECK(key.file_base() == kf.base);
  CHECK(key.zone == dns::Name::parse("example.com."));
  auto ds256 = key.ds_rdata(DigestType::SHA256);
  auto ds384 = key.ds_rdata(DigestType::SHA384);
  CHECK(hex(std::span(ds256).subspan(4)) == kf.ds256);
  CHECK(hex(std::span(ds384).subspan(4)) == kf.ds384);
  CHECK(((ds256[0] << 8) | ds256[1]) == kf.tag);
  CHECK(ds256[2] == static_cast<uint8_t>(key.algorithm));
  CHECK(ds256[3] == 2);
  CHECK(ds384[3] == 4);
  // The private key signs, and the public key from the .key file verifies.
  std::vector<uint8_t> msg = {1, 2, 3}, sig;
  key.private_key->make_signer()->sign(msg, sig);
  CHECK(PublicKey::from_dnskey(uint8_t(key.algorithm), key.public_key)->verify(msg, sig));
}

TEST_CASE("keys: store then load round-trips, .private is 0600", "[dnssec][key]") {
  auto alg = GENERATE(Algorithm::ECDSAP256SHA256, Algorithm::ED25519, Algorithm::RSASHA256);
  auto flags = GENERATE(kFlagsKsk, kFlagsZsk);
  TempDir dir("keys");
  auto zone = dns::Name::parse("Example.NET.");
  DnssecKey key = generate_key(zone, alg, flags, 1700000000);
  std::string priv = store_key(key, dir.path.string());
  struct stat st {};
  REQUIRE(::stat(priv.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  DnssecKey back = load_key(priv);
  CHECK(back.tag == key.tag);
  CHECK(back.flags == flags);
  CHECK(back.public_key == key.public_key);
  CHECK(back.created == 1700000000);
  auto keys = load_keys(dir.path.string(), zone);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].tag == key.tag);
  CHECK(load_keys(dir.path.string(), dns::Name::parse("other.")).empty());
}

TEST_CASE("keys: missing or corrupt files are named in the error", "[dnssec][key]") {
  TempDir dir("keys");
  std::string base = (dir.path / k013.base).string();
  CHECK_THROWS_WITH(load_key(base + ".private"), Catch::Contains(base + ".key"));
  put(base + ".key", k013.key);
  CHECK_THROWS_WITH(load_key(base + ".private"), Catch::Contains(base + ".private"));
  CHECK(load_key(base, false).private_key == nullptr);
  put(base + ".private",
      "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n"
      "PrivateKey: !!notbase64\n");
  CHECK_THROWS_WITH(load_key(base),
                    Catch::Contains(base + ".private") && Catch::Contains("PrivateKey"));
  put(base + ".private", k015.priv);  // the wrong key's private half
  CHECK_THROWS_AS(load_key(base), KeyFileError);
  put(base + ".private", "garbage\n");
  CHECK_THROWS_WITH(load_key(base), Catch::Contains(base + ".private"));
  put(base + ".key", "; nothing here\n");
  CHECK_THROWS_WITH(load_key(base), Catch::Contains(base + ".key"));
}

TEST_CASE("keys: RFC 4034 Appendix B tag of a published DNSKEY", "[dnssec][key]") {
  // RFC 4034 §5.4 example DNSKEY "dskey.example.com. 86400 IN DNSKEY 256 3 5 AQOeiiR0..." has
  // key tag 60485 (the DS example uses it).
  std::vector<uint8_t> pub;
  REQUIRE(dns::base64_decode(
      "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAph"
      "XdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
      pub));
  CHECK(key_tag(make_dnskey_rdata(256, 5, pub)) == 60485);
  auto ds = make_ds_rdata(dns::Name::parse("dskey.example.com."), make_dnskey_rdata(256, 5, pub),
                          DigestType::SHA256);
  CHECK(ds.size() == 4 + 32);
}
