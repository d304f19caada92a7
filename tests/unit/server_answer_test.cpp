// DNSSEC answers from a signed snapshot (RFC 4035 §3.1, RFC 5155 §7.2): RRSIGs with each RRset,
// NSEC and NSEC3 proofs for NXDOMAIN, NODATA, wildcards and referrals, DS from the parent side,
// minimal ANY, and the EDNS handling of the responder (DO copied, BADVERS).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "common/dnssec/sign.hpp"
#include "common/dnssec/zone_signer.hpp"
#include "common/server/answer.hpp"
#include "common/server/responder.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"

using namespace flatsign;
using dns::Name;
using dns::RRType;

namespace {

constexpr std::time_t kNow = 1700000000;
const Name kOrigin = Name::parse("example.");

const char* kZone = R"($TTL 300
@ 3600 IN SOA ns.example. h.example. 1 2 3 4 600
@ IN NS ns
ns IN A 192.0.2.1
www IN A 192.0.2.2
a.b.c IN A 192.0.2.3
*.w IN TXT "x"
alias IN CNAME www
loop1 IN CNAME loop2
loop2 IN CNAME loop1
gone IN CNAME nothere
deleg IN NS ns.deleg
ns.deleg IN A 192.0.2.4
sdeleg IN NS ns
sdeleg IN DS 1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
)";

std::shared_ptr<const zone::Zone> signed_zone(dnssec::DenialMode mode, bool opt_out = false,
                                              const std::string& text = kZone) {
  zone::ZoneBuilder b(kOrigin);
  (void)zone::parse_zone_text(text, kOrigin,
                              [&](dns::Rr&& rr, const zone::Location&) { b.add(std::move(rr)); });
  auto plain = std::move(b).build().zone;
  dnssec::SignerOptions o;
  o.timing.now = kNow;
  o.denial.mode = mode;
  o.denial.nsec3.opt_out = opt_out;
  o.threads = 1;
  std::vector<dnssec::DnssecKey> keys;
  keys.push_back(
      dnssec::generate_key(kOrigin, dnssec::Algorithm::ECDSAP256SHA256, dnssec::kFlagsKsk, kNow));
  dnssec::ZoneSigner signer(std::move(keys), o);
  return signer.sign_full(*plain).zone;
}

// Answers twice, searching the zone and through the snapshot's name index (what the servers
// use); both must give the same message.
dns::Message ask(const zone::Zone& z, const std::string& name, RRType t, bool dnssec = true) {
  dns::Question q{Name::parse(name), t, dns::RRClass::IN};
  dns::Message r, indexed;
  server::answer_from_zone(z, q, r, {.dnssec = dnssec});
  server::DenialIndex idx(z);
  server::answer_from_zone(z, q, indexed, {.dnssec = dnssec, .denial = &idx});
  CHECK(dns::write_message(r) == dns::write_message(indexed));
  return r;
}

size_t count(const std::vector<dns::Rr>& s, RRType t) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [&](const dns::Rr& r) { return r.type == t; }));
}

// Every RRSIG in `s` covers an RRset present in `s` with the same owner and TTL (RFC 4034 §3).
bool sigs_match(const std::vector<dns::Rr>& s) {
  for (const auto& r : s) {
    if (r.type != RRType::RRSIG) continue;
    bool ok = std::any_of(s.begin(), s.end(), [&](const dns::Rr& x) {
      return x.type == dnssec::rrsig_covered(r.rdata) && x.owner == r.owner && x.ttl == r.ttl;
    });
    if (!ok) return false;
  }
  return true;
}

// RRsets in `s` without a covering RRSIG (types that must be signed).
size_t unsigned_sets(const std::vector<dns::Rr>& s) {
  size_t n = 0;
  for (const auto& r : s) {
    if (r.type == RRType::RRSIG) continue;
    n += std::none_of(s.begin(), s.end(), [&](const dns::Rr& x) {
      return x.type == RRType::RRSIG && dnssec::rrsig_covered(x.rdata) == r.type &&
             x.owner == r.owner;
    });
  }
  return n;
}

constexpr auto kNx = static_cast<uint16_t>(dns::Rcode::NXDOMAIN);

// The owner names of the NSEC3 records of `z`, in canonical order.
std::vector<std::string> nsec3_owners(const zone::Zone& z) {
  std::vector<std::string> out;
  for (const zone::Node& n : z.nodes()) {
    if (n.find(RRType::NSEC3)) out.push_back(n.name.to_string());
  }
  return out;
}

bool has_owner(const std::vector<dns::Rr>& s, RRType t, const Name& owner) {
  return std::any_of(s.begin(), s.end(),
                     [&](const dns::Rr& r) { return r.type == t && r.owner == owner; });
}

}  // namespace

TEST_CASE("answer: positive answers carry RRSIGs only with DO (RFC 4035 §3.1.1)", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec);
  auto r = ask(*z, "WWW.example.", RRType::A);
  CHECK(r.aa);
  CHECK(count(r.answer, RRType::A) == 1);
  CHECK(count(r.answer, RRType::RRSIG) == 1);
  CHECK(sigs_match(r.answer));
  CHECK(r.authority.empty());
  auto plain = ask(*z, "www.example.", RRType::A, false);
  CHECK(count(plain.answer, RRType::RRSIG) == 0);
  auto keys = ask(*z, "example.", RRType::DNSKEY);
  CHECK(count(keys.answer, RRType::DNSKEY) == 1);
  CHECK(count(keys.answer, RRType::RRSIG) == 1);
}

TEST_CASE("answer: NSEC NXDOMAIN, NODATA and ENT proofs (RFC 4035 §3.1.3.1-2)", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec);
  auto nx = ask(*z, "nx.example.", RRType::A);
  CHECK(nx.rcode == kNx);
  CHECK(count(nx.authority, RRType::SOA) == 1);
  CHECK(nx.authority.front().ttl == 600);  // min(3600, 600): RFC 2308 §5, RFC 9077
  CHECK(count(nx.authority, RRType::NSEC) >= 1);
  CHECK(unsigned_sets(nx.authority) == 0);
  CHECK(sigs_match(nx.authority));
  auto nodata = ask(*z, "www.example.", RRType::TXT);
  CHECK(nodata.rcode == 0);
  CHECK(nodata.answer.empty());
  REQUIRE(count(nodata.authority, RRType::NSEC) == 1);
  auto nsec = std::find_if(nodata.authority.begin(), nodata.authority.end(),
                           [](const dns::Rr& r) { return r.type == RRType::NSEC; });
  CHECK(nsec->owner == Name::parse("www.example."));
  auto ent = ask(*z, "c.example.", RRType::A);
  CHECK(ent.rcode == 0);
  CHECK(count(ent.authority, RRType::NSEC) == 1);
  auto noplain = ask(*z, "nx.example.", RRType::A, false);
  CHECK(noplain.authority.size() == 1);  // the SOA only
}

TEST_CASE("answer: NSEC wildcard answer and wildcard NODATA (RFC 4035 §3.1.3.3-4)", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec);
  auto w = ask(*z, "x.y.w.example.", RRType::TXT);
  REQUIRE(count(w.answer, RRType::TXT) == 1);
  CHECK(w.answer.front().owner == Name::parse("x.y.w.example."));
  REQUIRE(count(w.answer, RRType::RRSIG) == 1);
  auto sig = dnssec::parse_rrsig(w.answer.back().rdata);
  CHECK(sig->labels == 2);  // the wildcard's label count: the validator sees the expansion
  CHECK(count(w.authority, RRType::NSEC) == 1);
  auto wn = ask(*z, "x.w.example.", RRType::A);
  CHECK(wn.rcode == 0);
  CHECK(count(wn.authority, RRType::SOA) == 1);
  // The NSEC covering x.w is the wildcard's own ("*" sorts first): one RRset proves both.
  CHECK(count(wn.authority, RRType::NSEC) == 1);
  CHECK(wn.authority.back().owner == Name::parse("*.w.example."));
}

TEST_CASE("answer: referrals, DS from the parent side and no-DS proofs", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec);
  auto ref = ask(*z, "www.deleg.example.", RRType::A);
  CHECK_FALSE(ref.aa);  // RFC 1034 §4.3.2 step 3b
  CHECK(ref.answer.empty());
  CHECK(count(ref.authority, RRType::NS) == 1);
  CHECK(count(ref.authority, RRType::NSEC) == 1);   // RFC 4035 §3.1.4: no DS
  CHECK(count(ref.authority, RRType::RRSIG) == 1);  // of the NSEC, never of the NS
  CHECK(count(ref.additional, RRType::A) == 1);     // glue
  auto sref = ask(*z, "sdeleg.example.", RRType::A);
  CHECK(count(sref.authority, RRType::DS) == 1);
  CHECK(count(sref.authority, RRType::RRSIG) == 1);
  auto ds = ask(*z, "sdeleg.example.", RRType::DS);  // RFC 4035 §3.1.4.1
  CHECK(ds.aa);
  CHECK(count(ds.answer, RRType::DS) == 1);
  CHECK(count(ds.answer, RRType::RRSIG) == 1);
  auto nods = ask(*z, "deleg.example.", RRType::DS);
  CHECK(nods.aa);
  CHECK(count(nods.authority, RRType::SOA) == 1);
  CHECK(count(nods.authority, RRType::NSEC) == 1);
}

TEST_CASE("answer: ANY is minimal, QTYPE RRSIG, CNAME chains and loops", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec);
  auto any = ask(*z, "www.example.", RRType::ANY);
  CHECK(count(any.answer, RRType::A) == 1);  // RFC 8482 §4.1: one RRset
  CHECK(count(any.answer, RRType::NSEC) == 0);
  auto sigs = ask(*z, "www.example.", RRType::RRSIG);
  CHECK(count(sigs.answer, RRType::RRSIG) == 2);  // A and NSEC
  auto cname = ask(*z, "alias.example.", RRType::A);
  CHECK(count(cname.answer, RRType::CNAME) == 1);
  CHECK(count(cname.answer, RRType::A) == 1);
  CHECK(count(cname.answer, RRType::RRSIG) == 2);
  auto loop = ask(*z, "loop1.example.", RRType::A);
  CHECK(count(loop.answer, RRType::CNAME) == 2);
  auto gone = ask(*z, "gone.example.", RRType::A);
  CHECK(gone.rcode == kNx);  // RFC 6604 §3: the last name's result
  CHECK(count(gone.authority, RRType::NSEC) >= 1);
}

TEST_CASE("answer: NSEC3 proofs (RFC 5155 §7.2.2, 7.2.3, 7.2.5, 7.2.6)", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec3);
  server::DenialIndex idx(*z);
  REQUIRE(idx.kind() == server::DenialIndex::Kind::Nsec3);
  auto apex_hash = dnssec::nsec3_hash(kOrigin, idx.params());
  REQUIRE(idx.nsec3_matching(apex_hash));
  auto nx = ask(*z, "nx.example.", RRType::A);
  CHECK(nx.rcode == kNx);
  // closest encloser (matching), next closer (covering), wildcard (covering): up to 3, deduped
  CHECK(count(nx.authority, RRType::NSEC3) >= 2);
  CHECK(count(nx.authority, RRType::NSEC3) <= 3);
  CHECK(unsigned_sets(nx.authority) == 0);
  bool has_ce = std::any_of(nx.authority.begin(), nx.authority.end(), [&](const dns::Rr& r) {
    return r.type == RRType::NSEC3 && r.owner == dnssec::nsec3_owner(apex_hash, kOrigin);
  });
  CHECK(has_ce);
  auto nodata = ask(*z, "www.example.", RRType::TXT);
  CHECK(count(nodata.authority, RRType::NSEC3) == 1);
  auto ent = ask(*z, "b.c.example.", RRType::A);
  CHECK(count(ent.authority, RRType::NSEC3) == 1);  // the ENT's own NSEC3
  auto w = ask(*z, "x.w.example.", RRType::TXT);
  CHECK(count(w.answer, RRType::TXT) == 1);
  CHECK(count(w.authority, RRType::NSEC3) == 1);
  auto wn = ask(*z, "x.w.example.", RRType::A);
  CHECK(count(wn.authority, RRType::NSEC3) >= 2);
  auto ref = ask(*z, "deleg.example.", RRType::A);
  CHECK(count(ref.authority, RRType::NSEC3) == 1);  // matching NSEC3 of the cut (§7.2.7)
}

TEST_CASE("answer: an NSEC3 owner name does not exist (RFC 5155 §7.2.8)", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec3);
  server::DenialIndex idx(*z);
  const Name apex_nsec3 = dnssec::nsec3_owner(dnssec::nsec3_hash(kOrigin, idx.params()), kOrigin);
  auto owners = nsec3_owners(*z);
  REQUIRE(owners.size() > 2);
  for (const std::string& owner : {owners.front(), owners.back()}) {
    // Upper case: the lookups ignore case (RFC 4343) as for any name.
    std::string upper = owner;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    for (const std::string& qname : {owner, upper}) {
      for (RRType t : {RRType::A, RRType::NSEC3, RRType::RRSIG, RRType::ANY}) {
        INFO(qname << " " << dns::type_to_string(t));
        auto r = ask(*z, qname, t);
        CHECK(r.rcode == kNx);
        CHECK(r.aa);
        CHECK(r.answer.empty());
        // Closest encloser the apex (matching NSEC3), next closer QNAME itself (covered),
        // wildcard at the apex (covered): the proof of RFC 5155 §7.2.2.
        CHECK(count(r.authority, RRType::SOA) == 1);
        CHECK(count(r.authority, RRType::NSEC3) >= 2);
        CHECK(has_owner(r.authority, RRType::NSEC3, apex_nsec3));
        CHECK(unsigned_sets(r.authority) == 0);
        CHECK(sigs_match(r.authority));
        auto plain = ask(*z, qname, t, false);
        CHECK(plain.rcode == kNx);
        CHECK(plain.answer.empty());
        CHECK(count(plain.authority, RRType::NSEC3) == 0);
      }
    }
    // Below it: the closest encloser is still the apex, not the hashed name.
    auto below = ask(*z, "x." + owner, RRType::A);
    CHECK(below.rcode == kNx);
    CHECK(has_owner(below.authority, RRType::NSEC3, apex_nsec3));
  }
  // Real names keep their answers.
  CHECK(ask(*z, "www.example.", RRType::A).answer.size() == 2);
}

TEST_CASE("answer: an NSEC3 owner name is answered from an apex wildcard", "[answer]") {
  // RFC 5155 §7.2.8: "as if the NSEC3 RR did not exist", so "*.example." synthesizes.
  auto z = signed_zone(dnssec::DenialMode::Nsec3, false,
                       std::string(kZone) + "* IN TXT \"apex wildcard\"\n");
  auto owners = nsec3_owners(*z);
  REQUIRE_FALSE(owners.empty());
  auto r = ask(*z, owners.front(), RRType::TXT);
  CHECK(r.rcode == 0);
  CHECK(count(r.answer, RRType::TXT) == 1);
  CHECK(r.answer.front().owner == Name::parse(owners.front()));
  CHECK(count(r.authority, RRType::NSEC3) == 1);  // next closer covered (§7.2.6)
  auto nodata = ask(*z, owners.front(), RRType::NSEC3);
  CHECK(nodata.rcode == 0);
  CHECK(nodata.answer.empty());
}

TEST_CASE("answer: QTYPE RRSIG gives each signature its covered RRset's TTL (RFC 4034 §3)",
          "[answer]") {
  for (auto mode : {dnssec::DenialMode::Nsec, dnssec::DenialMode::Nsec3}) {
    auto z = signed_zone(mode);
    // The apex: SOA 3600, NS 300, DNSKEY and the denial records their own; the wildcard
    // expansion: TXT 300 and (NSEC) the negative TTL 600.
    for (std::string qname : {"example.", "x.w.example.", "www.example."}) {
      INFO(qname);
      auto r = ask(*z, qname, RRType::RRSIG);
      CHECK(r.rcode == 0);
      REQUIRE(count(r.answer, RRType::RRSIG) >= 1);
      const bool wild = qname == "x.w.example.";
      const zone::Node* node = z->find(Name::parse(wild ? "*.w.example." : qname));
      REQUIRE(node);
      std::set<uint32_t> ttls;
      for (const dns::Rr& rr : r.answer) {
        REQUIRE(rr.type == RRType::RRSIG);
        CHECK(rr.owner == Name::parse(qname));
        const dns::RRset* covered = node->find(dnssec::rrsig_covered(rr.rdata));
        REQUIRE(covered);
        CHECK(rr.ttl == covered->ttl);
        ttls.insert(rr.ttl);
      }
      if (qname == "example.") CHECK(ttls.count(3600) == 1);
      // Several TTLs where the name holds NSEC (600) besides a 300 set, and at the apex.
      if (qname == "example." || mode == dnssec::DenialMode::Nsec) CHECK(ttls.size() >= 2);
      // Without DO the same records: QTYPE RRSIG asks for them.
      CHECK(ask(*z, qname, RRType::RRSIG, false).answer.size() == r.answer.size());
    }
  }
}

TEST_CASE("answer: NSEC3 opt-out referral gives the closest provable encloser", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec3, true);
  auto ref = ask(*z, "deleg.example.", RRType::A);
  CHECK_FALSE(ref.aa);
  CHECK(count(ref.authority, RRType::NS) == 1);
  CHECK(count(ref.authority, RRType::NSEC3) == 2);  // RFC 5155 §7.2.7 with §7.2.4
  auto opt_out = std::any_of(ref.authority.begin(), ref.authority.end(), [](const dns::Rr& r) {
    return r.type == RRType::NSEC3 && (r.rdata[1] & 1);
  });
  CHECK(opt_out);
}

namespace {
struct Dir : server::ZoneDirectory {
  std::shared_ptr<const server::ServedZone> served;
  std::shared_ptr<const server::ServedZone> find(const Name& q) const override {
    return q.is_subdomain_of(served->origin) ? served : nullptr;
  }
};

dns::Message respond_to(const Dir& d, const std::string& name, RRType t, uint8_t version,
                        bool do_bit) {
  dns::Message m;
  m.id = 7;
  m.questions.push_back({Name::parse(name), t, dns::RRClass::IN});
  m.edns = dns::Edns{};
  m.edns->version = version;
  m.edns->do_bit = do_bit;
  auto wire = dns::write_message(m);
  net::Responses out;
  (void)server::respond(d, {}, net::Request{wire, {}, false}, out);
  REQUIRE(out.size() == 1);
  return dns::parse_message(out.front());
}
}  // namespace

TEST_CASE("responder: DO copied, BADVERS, QNAME case preserved, RA clear", "[answer]") {
  auto z = signed_zone(dnssec::DenialMode::Nsec);
  Dir d;
  auto sz = std::make_shared<server::ServedZone>();
  sz->origin = kOrigin;
  sz->zone = z;
  sz->denial = std::make_shared<server::DenialIndex>(*z);
  d.served = sz;
  auto r = respond_to(d, "WwW.Example.", RRType::A, 0, true);
  REQUIRE(r.edns);
  CHECK(r.edns->do_bit);
  CHECK_FALSE(r.ra);
  CHECK(r.questions.front().qname.to_string() == "WwW.Example.");
  CHECK(count(r.answer, RRType::RRSIG) == 1);
  auto bad = respond_to(d, "www.example.", RRType::A, 1, false);
  CHECK(bad.rcode == static_cast<uint16_t>(dns::Rcode::BADVERS));
  CHECK(bad.answer.empty());
  auto refused = respond_to(d, "example.org.", RRType::A, 0, false);
  CHECK(refused.rcode == static_cast<uint16_t>(dns::Rcode::REFUSED));
}

TEST_CASE("responder: NOTIFY to a primary is REFUSED with OPT when it came with one", "[answer]") {
  Dir d;
  auto sz = std::make_shared<server::ServedZone>();
  sz->origin = kOrigin;
  sz->zone = signed_zone(dnssec::DenialMode::Nsec);
  d.served = sz;
  for (bool edns : {false, true}) {
    dns::Message m;
    m.id = 9;
    m.opcode = dns::Opcode::NOTIFY;
    m.aa = true;
    m.questions.push_back({kOrigin, RRType::SOA, dns::RRClass::IN});
    if (edns) m.edns = dns::Edns{};
    auto wire = dns::write_message(m);
    net::Responses out;
    CHECK(server::respond(d, {}, net::Request{wire, {}, false}, out) == server::Outcome::Refused);
    REQUIRE(out.size() == 1);
    auto r = dns::parse_message(out.front());
    CHECK(r.rcode_value() == dns::Rcode::REFUSED);
    CHECK(r.opcode == dns::Opcode::NOTIFY);
    CHECK(r.edns.has_value() == edns);  // RFC 6891 §7
  }
}
