// The authoritative answer engine on any request octets, over UDP and TCP, for one zone
// unsigned, signed with NSEC and signed with NSEC3 (RFC 1034 §4.3.2, RFC 4035 §3.1, RFC 5155
// §7.2): respond() never throws; whatever it sends parses as a DNS message, with the request's
// ID and QR set, within the UDP size limit; and every UDP query the fast path
// (answer_plain_query) takes gets the same octets as from the general path.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/dns/error.hpp"
#include "common/dns/message.hpp"
#include "common/dnssec/key.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/server/answer.hpp"
#include "common/server/plain_query.hpp"
#include "common/server/responder.hpp"
#include "common/xfr/axfr_image.hpp"
#include "common/zone/zonefile.hpp"
#include "fuzz/check.hpp"
#include "tests/unit/answer_zone.hpp"

using namespace flatsign;

namespace {

constexpr std::time_t kNow = 1700000000;

// tests/unit's answer zone, and a wildcard with two types and a DNAME.
std::string zone_text() {
  return flatsign::testing::answer_zone_text() + "*.w IN A 192.0.2.9\ndn IN DNAME example.net.\n";
}

struct Directory : server::ZoneDirectory {
  std::shared_ptr<const server::ServedZone> served;
  std::shared_ptr<const server::ServedZone> find(const dns::Name& q) const override {
    return q.is_subdomain_of(served->origin) ? served : nullptr;
  }
};

std::unique_ptr<Directory> make_directory(std::optional<dnssec::DenialMode> mode) {
  const dns::Name origin = dns::Name::parse("example.");
  std::shared_ptr<const zone::Zone> z =
      flatsign::testing::answer_zone(mode, dnssec::Algorithm::ED25519, kNow, zone_text());
  auto served = std::make_shared<server::ServedZone>();
  served->origin = origin;
  served->zone = z;
  served->axfr = xfr::lazy_axfr(z, 0);
  served->denial = std::make_shared<server::DenialIndex>(*z);
  auto d = std::make_unique<Directory>();
  d->served = std::move(served);
  return d;
}

void check_responses(std::span<const uint8_t> request, const net::Responses& out, bool tcp,
                     size_t udp_limit) {
  if (!tcp) FUZZ_CHECK(out.size() <= 1, "more than one UDP response");
  for (const auto& wire : out) {
    FUZZ_CHECK(wire.size() >= 12 && wire.size() <= dns::kTcpLimit, "response size");
    if (!tcp) FUZZ_CHECK(wire.size() <= udp_limit, "UDP response over the size limit");
    FUZZ_CHECK(wire[0] == request[0] && wire[1] == request[1], "response ID is not the query's");
    FUZZ_CHECK((wire[2] & 0x80) != 0, "QR not set");
    try {
      (void)dns::parse_message(wire);
    } catch (const dns::WireError& e) {
      FUZZ_CHECK(false, e.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Directory> dirs[] = {make_directory(std::nullopt),
                                                    make_directory(dnssec::DenialMode::Nsec),
                                                    make_directory(dnssec::DenialMode::Nsec3)};
  if (size > dns::kTcpLimit) return 0;
  const std::span<const uint8_t> wire(data, size);
  const server::ResponderPolicy policy;
  const boost::asio::ip::udp::endpoint peer(boost::asio::ip::make_address("127.0.0.1"), 5353);
  bool answered = false;
  for (const auto& d : dirs) {
    for (bool tcp : {false, true}) {
      net::Responses out;
      (void)server::respond(*d, policy, net::Request{wire, peer, tcp}, out);
      answered |= !out.empty();
      if (size >= 2)
        check_responses(wire, out, tcp, policy.udp_max_payload);
      else
        FUZZ_CHECK(out.empty(), "an answer to a request without an ID");
    }
    net::Responses fast;
    if (server::answer_plain_query(*d, policy, net::Request{wire, peer, false}, fast)) {
      net::Responses general;
      (void)server::respond_general(*d, policy, net::Request{wire, peer, false}, general);
      FUZZ_CHECK(fast == general, "the fast path's answer differs from the general path's");
    }
  }
  return answered ? 0 : -1;  // dropped everywhere: libFuzzer need not keep it
}
