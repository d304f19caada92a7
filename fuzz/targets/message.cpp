// The wire reader on any octets (RFC 1035 §4.1, compression pointers, EDNS0, TSIG placement):
// parse_message() either throws WireError, as its contract says, or returns a message that our
// writer writes back into octets that parse again and write back to the same octets.
#include <cstdint>
#include <span>
#include <vector>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "fuzz/check.hpp"

using namespace flatsign;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > dns::kTcpLimit) return 0;  // no DNS message is larger
  dns::Message m;
  try {
    m = dns::parse_message(std::span<const uint8_t>(data, size));
  } catch (const dns::WireError&) {
    return -1;  // rejected as the contract says (libFuzzer: not worth keeping)
  }
  const std::vector<uint8_t> once = dns::write_message(m);
  dns::Message again;
  try {
    again = dns::parse_message(once);
  } catch (const dns::WireError& e) {
    FUZZ_CHECK(false, e.what());
  }
  FUZZ_CHECK(dns::write_message(again) == once, "writing what was read changes the message");
  return 0;
}
