#include "master/catalog.hpp"

#include <set>
#include <stdexcept>

#include <openssl/evp.h>

#include "common/dns/error.hpp"
#include "common/dns/rrset.hpp"
#include "common/zone/zone_builder.hpp"

namespace flatsign::master {
namespace {

// SOA timers of the catalog. Consumers are told of changes by NOTIFY; REFRESH is the fallback
// poll. EXPIRE is long because an expired catalog stops being processed (RFC 9432 §5.1) and a
// consumer cut off from the master should keep its member zones meanwhile.
constexpr uint32_t kRefresh = 300, kRetry = 60, kExpire = 2419200, kMinimum = 0;

void put_name(dns::Rdata& out, const dns::Name& n) {
  auto w = n.wire();
  out.insert(out.end(), w.begin(), w.end());
}

void put_u32(dns::Rdata& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

dns::Rdata txt(const std::string& text) {
  dns::Rdata r{static_cast<uint8_t>(text.size())};
  r.insert(r.end(), text.begin(), text.end());
  return r;
}

dns::Rr record(const dns::Name& owner, dns::RRType type, dns::Rdata rdata) {
  return {owner, type, dns::RRClass::IN, 0, std::move(rdata)};
}

// `label` + `parent`, with the failure naming what was being built.
dns::Name child(const dns::Name& parent, std::string_view label, const dns::Name& member) {
  try {
    return parent.prepend(label);
  } catch (const dns::ParseError& e) {
    throw std::invalid_argument("catalog member " + member.to_string() + ": " + e.what());
  }
}

}  // namespace

std::string catalog_member_id(const dns::Name& zone) {
  const dns::Name lower = zone.lowercased();  // wire() is a view into it
  auto wire = lower.wire();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: an implicit fetch on each call was a third of this function with 10,000
  // members.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!sha256 || !EVP_Digest(wire.data(), wire.size(), md, &len, sha256, nullptr) || len < 8) {
    throw std::runtime_error("catalog: SHA-256 of " + zone.to_string() + " failed (OpenSSL)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned i = 0; i < 8; ++i) {
    id += kHex[md[i] >> 4];
    id += kHex[md[i] & 0xF];
  }
  return id;
}

std::shared_ptr<const zone::Zone> build_catalog(const dns::Name& catalog,
                                                const std::vector<CatalogMember>& members,
                                                uint32_t serial) {
  const dns::Name invalid = dns::Name::parse("invalid.");
  zone::ZoneBuilder b(catalog);
  dns::Rdata soa;
  put_name(soa, invalid);
  put_name(soa, invalid);
  for (uint32_t v : {serial, kRefresh, kRetry, kExpire, kMinimum}) put_u32(soa, v);
  b.add(record(catalog, dns::RRType::SOA, std::move(soa)));
  // §4.1: one NS "invalid." makes the catalog a well-formed zone that no resolver can follow.
  dns::Rdata ns;
  put_name(ns, invalid);
  b.add(record(catalog, dns::RRType::NS, std::move(ns)));
  // §4.3.1: exactly one TXT at version.$CATZ; "2" is this schema.
  b.add(record(catalog.prepend("version"), dns::RRType::TXT, txt("2")));
  const dns::Name zones = catalog.prepend("zones");
  std::set<dns::Name> seen_zones;
  std::set<std::string> seen_ids;
  for (const CatalogMember& m : members) {
    // §4.2: a member listed under two labels makes the catalog broken for every consumer.
    if (!seen_zones.insert(m.zone).second) {
      throw std::invalid_argument("catalog member " + m.zone.to_string() + " listed twice");
    }
    std::string id = catalog_member_id(m.zone);
    // §4.2: two members at one label would be one PTR RRset of two RRs, also broken. With 64
    // bits this needs about 2^32 members to become likely; refuse it rather than serve it.
    if (!seen_ids.insert(id).second) {
      throw std::invalid_argument("catalog member " + m.zone.to_string() + ": label " + id +
                                  " already used by another member");
    }
    dns::Name node = child(zones, id, m.zone);
    dns::Rdata ptr;
    put_name(ptr, m.zone);
    b.add(record(node, dns::RRType::PTR, std::move(ptr)));
    if (!m.groups.empty()) {
      dns::Name owner = child(node, "group", m.zone);
      for (const std::string& g : m.groups) {
        // A TXT character-string holds 1..255 octets (RFC 1035 §3.3); an empty group means
        // nothing to a consumer, so it is a mistake in the configuration.
        if (g.empty() || g.size() > 255) {
          throw std::invalid_argument("catalog member " + m.zone.to_string() + ": group \"" + g +
                                      "\" must be 1 to 255 octets");
        }
        b.add(record(owner, dns::RRType::TXT, txt(g)));
      }
    }
    if (m.coo) {
      // §4.4.1: the coo PTR RRset holds exactly one RR, the new catalog's name.
      dns::Rdata target;
      put_name(target, *m.coo);
      b.add(record(child(node, "coo", m.zone), dns::RRType::PTR, std::move(target)));
    }
  }
  return std::move(b).build().zone;
}

}  // namespace flatsign::master
