#include "common/server/axfr_image.hpp"

#include "common/dns/message.hpp"

namespace flatsign::server {

std::shared_ptr<const AxfrImage> pack_axfr(const zone::Zone& zone, size_t reserve, size_t limit) {
  auto image = std::make_shared<AxfrImage>();
  image->qname_size = zone.origin().wire_size();
  dns::Question q{zone.origin(), dns::RRType::AXFR, dns::RRClass::IN};
  dns::AxfrPacker packer(0, q, limit, reserve);
  auto push = [&](const dns::Rr& rr) {
    if (auto m = packer.add(rr)) image->messages.push_back(std::move(*m));
    ++image->rr_count;
  };
  const dns::RRset& soa = zone.soa();
  dns::Rr soa_rr{soa.owner, soa.type, soa.rclass, soa.ttl, soa.rdatas.front()};
  push(soa_rr);
  dns::Rr rr;
  for (const zone::Node& node : zone.nodes()) {
    for (const dns::RRset& set : node.rrsets) {
      if (set.type == dns::RRType::SOA && node.name == zone.origin()) continue;
      rr.owner = set.owner;
      rr.type = set.type;
      rr.rclass = set.rclass;
      for (const dns::Rdata& rd : set.rdatas) {
        rr.ttl = node.record_ttl(set, rd);
        rr.rdata = rd;
        push(rr);
      }
    }
  }
  push(soa_rr);  // RFC 5936 §2.2: the transfer ends with the SOA again
  image->messages.push_back(packer.finish());
  return image;
}

std::shared_ptr<const AxfrImage> lazy_axfr(std::shared_ptr<const zone::Zone> zone, size_t reserve,
                                           size_t limit) {
  auto image = std::make_shared<AxfrImage>();
  image->qname_size = zone->origin().wire_size();
  image->rr_count = zone->rr_count() + 1;  // the closing SOA
  image->source = std::move(zone);
  image->reserve = reserve;
  image->limit = limit;
  return image;
}

std::vector<std::vector<uint8_t>> axfr_for_request(const AxfrImage& lazy, uint16_t id,
                                                   uint16_t qtype) {
  const AxfrImage* packed = &lazy;
  if (lazy.source) {
    std::call_once(lazy.packed,
                   [&lazy] { lazy.image = pack_axfr(*lazy.source, lazy.reserve, lazy.limit); });
    packed = lazy.image.get();
  }
  const AxfrImage& image = *packed;
  std::vector<std::vector<uint8_t>> out = image.messages;
  for (auto& m : out) {
    m[0] = static_cast<uint8_t>(id >> 8);
    m[1] = static_cast<uint8_t>(id & 0xFF);
  }
  size_t at = dns::kHeaderSize + image.qname_size;
  if (!out.empty() && out[0].size() >= at + 2) {
    out[0][at] = static_cast<uint8_t>(qtype >> 8);
    out[0][at + 1] = static_cast<uint8_t>(qtype & 0xFF);
  }
  return out;
}

}  // namespace flatsign::server
