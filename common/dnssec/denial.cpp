// NSEC and NSEC3 chains (RFC 4034 §4, RFC 4035 §2.3, RFC 5155 §5/§7.1, RFC 9077).
#include "common/dnssec/denial.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "common/dns/encoding.hpp"
#include "common/dns/rdata.hpp"

namespace flatsign::dnssec {
namespace {

using dns::RRType;

const EVP_MD* sha1() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

void insert_sorted(std::vector<RRType>& v, RRType t) {
  auto it = std::lower_bound(v.begin(), v.end(), t, [](RRType a, RRType b) {
    return static_cast<uint16_t>(a) < static_cast<uint16_t>(b);
  });
  if (it == v.end() || *it != t) v.insert(it, t);
}

}  // namespace

dns::Rdata make_nsec3_rdata(const Nsec3Params& p, const Nsec3Hash& next,
                            std::span<const RRType> types) {
  dns::Rdata r;
  r.push_back(1);  // hash algorithm SHA-1
  r.push_back(p.opt_out ? 1 : 0);
  r.push_back(static_cast<uint8_t>(p.iterations >> 8));
  r.push_back(static_cast<uint8_t>(p.iterations));
  r.push_back(static_cast<uint8_t>(p.salt.size()));
  r.insert(r.end(), p.salt.begin(), p.salt.end());
  r.push_back(static_cast<uint8_t>(next.size()));
  r.insert(r.end(), next.begin(), next.end());
  append_type_bitmap(types, r);
  return r;
}

dns::Rdata make_nsec_rdata(const dns::Name& next, std::span<const RRType> types) {
  dns::Rdata rd(next.wire().begin(), next.wire().end());
  append_type_bitmap(types, rd);
  return rd;
}

bool in_denial_chain(const zone::Node& n) {
  if (n.occluded) return false;
  return std::any_of(n.rrsets.begin(), n.rrsets.end(),
                     [](const dns::RRset& rs) { return !is_signer_type(rs.type); });
}

bool has_own_nsec3(const zone::Node& n, bool apex, const Nsec3Params& p) {
  if (!in_denial_chain(n)) return false;
  return !(p.opt_out && n.delegation && !apex && n.find(RRType::DS) == nullptr);
}

Nsec3Hash nsec3_hash(const dns::Name& name, const Nsec3Params& p) {
  std::vector<uint8_t> buf;
  buf.reserve(name.wire_size() + p.salt.size());
  for (uint8_t c : name.wire()) buf.push_back(dns::dns_lower(c));
  buf.insert(buf.end(), p.salt.begin(), p.salt.end());
  Nsec3Hash h{};
  unsigned len = 0;
  if (!EVP_Digest(buf.data(), buf.size(), h.data(), &len, sha1(), nullptr))
    throw std::runtime_error("NSEC3 hash failed");
  for (uint16_t i = 0; i < p.iterations; ++i) {  // RFC 5155 §5: IH(salt, IH(...), k-1)
    buf.assign(h.begin(), h.end());
    buf.insert(buf.end(), p.salt.begin(), p.salt.end());
    if (!EVP_Digest(buf.data(), buf.size(), h.data(), &len, sha1(), nullptr))
      throw std::runtime_error("NSEC3 hash failed");
  }
  return h;
}

dns::Name nsec3_owner(const Nsec3Hash& hash, const dns::Name& zone) {
  std::string label;
  dns::base32hex_encode(hash, label);
  return zone.prepend(label);
}

void append_type_bitmap(std::span<const RRType> types, std::vector<uint8_t>& out) {
  size_t i = 0;
  while (i < types.size()) {  // one window block per high octet in use
    auto window = static_cast<uint8_t>(static_cast<uint16_t>(types[i]) >> 8);
    uint8_t bits[32] = {};
    size_t len = 0;
    for (; i < types.size() && (static_cast<uint16_t>(types[i]) >> 8) == window; ++i) {
      uint8_t low = static_cast<uint8_t>(static_cast<uint16_t>(types[i]));
      bits[low / 8] |= static_cast<uint8_t>(0x80 >> (low % 8));
      len = std::max<size_t>(len, low / 8 + 1);
    }
    out.push_back(window);
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), bits, bits + len);
  }
}

bool parse_type_bitmap(std::span<const uint8_t> b, std::vector<RRType>& types) {
  int last_window = -1;
  size_t pos = 0;
  while (pos < b.size()) {
    if (pos + 2 > b.size()) return false;
    int window = b[pos];
    size_t len = b[pos + 1];
    if (window <= last_window || len == 0 || len > 32 || pos + 2 + len > b.size()) return false;
    for (size_t k = 0; k < len; ++k)
      for (int bit = 0; bit < 8; ++bit)
        if (b[pos + 2 + k] & (0x80 >> bit))
          types.push_back(static_cast<RRType>((window << 8) | (k * 8 + bit)));
    last_window = window;
    pos += 2 + len;
  }
  return true;
}

dns::Rdata make_nsec3param_rdata(const Nsec3Params& p) {
  dns::Rdata r(5 + p.salt.size());
  r[0] = 1;  // hash algorithm SHA-1, flags 0 (RFC 5155 §4.1.2)
  r[2] = static_cast<uint8_t>(p.iterations >> 8);
  r[3] = static_cast<uint8_t>(p.iterations);
  r[4] = static_cast<uint8_t>(p.salt.size());
  std::copy(p.salt.begin(), p.salt.end(), r.begin() + 5);
  return r;
}

uint32_t denial_ttl(const dns::RRset& soa) {
  return std::min(soa.ttl, dns::soa_minimum(soa.rdatas.at(0)));
}

bool is_signer_type(RRType t) {
  return t == RRType::RRSIG || t == RRType::NSEC || t == RRType::NSEC3 || t == RRType::NSEC3PARAM;
}

std::vector<RRType> signed_types(const zone::Node& node, bool apex,
                                 std::span<const RRType> apex_extra, DenialMode mode) {
  std::vector<RRType> types;
  bool cut = node.delegation && !apex;
  bool any_signed = false;
  for (const auto& rs : node.rrsets) {
    if (is_signer_type(rs.type)) continue;
    if (cut && rs.type != RRType::NS && rs.type != RRType::DS) continue;  // RFC 4035 §2.3
    types.push_back(rs.type);
    any_signed |= !cut || rs.type == RRType::DS;
  }
  if (apex)
    for (RRType t : apex_extra) insert_sorted(types, t);
  if (mode == DenialMode::Nsec) {
    insert_sorted(types, RRType::NSEC);
    any_signed = true;  // the NSEC itself is signed
  }
  if (any_signed) insert_sorted(types, RRType::RRSIG);
  return types;
}

std::vector<dns::RRset> build_denial_chain(const zone::Zone& zone,
                                           std::span<const RRType> apex_extra,
                                           const DenialConfig& config) {
  const dns::Name& origin = zone.origin();
  const uint32_t ttl = denial_ttl(zone.soa());
  std::vector<dns::RRset> out;
  auto nodes = zone.nodes();
  // Glue and occluded names are never in a chain, nor names that only hold denial records (the
  // NSEC3 owners of an already signed zone being re-signed or verified).
  auto in_chain = [](const zone::Node& n) { return in_denial_chain(n); };

  if (config.mode == DenialMode::Nsec) {
    // RFC 4035 §2.3: every authoritative name and delegation point, in canonical order,
    // the last pointing back to the apex.
    std::vector<const zone::Node*> chain;
    for (const auto& n : nodes)
      if (in_chain(n)) chain.push_back(&n);
    out.reserve(chain.size());
    for (size_t i = 0; i < chain.size(); ++i) {
      const dns::Name& next = i + 1 < chain.size() ? chain[i + 1]->name : origin;
      dns::Rdata rd =
          make_nsec_rdata(next, signed_types(*chain[i], i == 0, apex_extra, DenialMode::Nsec));
      out.push_back(
          dns::RRset{chain[i]->name, RRType::NSEC, dns::RRClass::IN, ttl, {std::move(rd)}});
    }
    return out;
  }

  // RFC 5155 §7.1: hash every authoritative name, delegation (unless opted out) and empty
  // non-terminal; each NSEC3 points to the next hash in order, the last to the first.
  const Nsec3Params& p = config.nsec3;
  struct Entry {
    Nsec3Hash hash;
    std::vector<RRType> types;
  };
  std::vector<Entry> entries;
  entries.reserve(nodes.size());
  // A name with a node of its own is not an empty non-terminal. Looked up only for names two or
  // more labels below the apex (most zones have few), instead of a set of every name.
  auto has_node = [&](const dns::Name& name) {
    const zone::Node* n = zone.find(name);
    return n != nullptr && (in_chain(*n) || n->occluded);
  };
  std::unordered_set<dns::Name, dns::NameHash> ents;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    bool apex = i == 0;
    if (!has_own_nsec3(n, apex, p)) continue;
    entries.push_back(
        {nsec3_hash(n.name, p), signed_types(n, apex, apex_extra, DenialMode::Nsec3)});
    // Empty non-terminals between this name and the apex (RFC 5155 §7.1 bullet 3).
    for (dns::Name up = n.name; !(up == origin);) {
      up = up.parent();
      if (up == origin || has_node(up) || !ents.insert(up).second) break;
      entries.push_back({nsec3_hash(up, p), {}});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
  out.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].hash == entries[i - 1].hash)
      throw std::runtime_error("NSEC3 hash collision in " + origin.to_string() +
                               "; choose another salt");
    const Nsec3Hash& next = entries[(i + 1) % entries.size()].hash;
    out.push_back(dns::RRset{nsec3_owner(entries[i].hash, origin),
                             RRType::NSEC3,
                             dns::RRClass::IN,
                             ttl,
                             {make_nsec3_rdata(p, next, entries[i].types)}});
  }
  return out;
}

}  // namespace flatsign::dnssec
