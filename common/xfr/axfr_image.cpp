#include "common/xfr/axfr_image.hpp"

#include "common/dns/message.hpp"

namespace flatsign::xfr {

namespace {

void pack_into(const zone::Zone& zone, size_t reserve, size_t limit, AxfrImage* image) {
  image->qname_size = zone.origin().wire_size();
  dns::Question q{zone.origin(), dns::RRType::AXFR, dns::RRClass::IN};
  dns::AxfrPacker packer(0, q, limit, reserve);
  auto push = [&](const dns::Rr& rr) {
    if (auto m = packer.add(rr)) image->messages.push_back(std::move(*m));
    ++image->rr_count;
  };
  const dns::RRset& soa = zone.soa();
  dns::Rr soa_rr{soa.owner, soa.type, soa.rclass, soa.ttl, soa.rdatas.front().to_rdata()};
  push(soa_rr);
  dns::Rr rr;
  for (const zone::Node& node : zone.nodes()) {
    for (const dns::RRset& set : node.rrsets) {
      if (set.type == dns::RRType::SOA && node.name == zone.origin()) continue;
      rr.owner = set.owner;
      rr.type = set.type;
      rr.rclass = set.rclass;
      for (dns::RdataRef rd : set.rdatas) {
        rr.ttl = node.record_ttl(set, rd);
        rr.rdata.assign(rd.begin(), rd.end());
        push(rr);
      }
    }
  }
  push(soa_rr);  // RFC 5936 §2.2: the transfer ends with the SOA again
  image->messages.push_back(packer.finish());
}

}  // namespace

std::shared_ptr<const AxfrImage> pack_axfr(const zone::Zone& zone, size_t reserve, size_t limit) {
  auto image = std::make_shared<AxfrImage>();
  pack_into(zone, reserve, limit, image.get());
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

std::vector<std::vector<uint8_t>> axfr_for_request(const AxfrImage& image, uint16_t id,
                                                   uint16_t qtype) {
  std::vector<std::vector<uint8_t>> out;
  if (image.source) {
    // Packed for this request and handed over: keeping the image for the snapshot's lifetime
    // held ~75 MB at 100k signed names after a single transfer, and every transfer copied it
    // anyway (the copy is what gets the ID and the TSIGs).
    AxfrImage fresh;
    pack_into(*image.source, image.reserve, image.limit, &fresh);
    out = std::move(fresh.messages);
  } else {
    out = image.messages;
  }
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

}  // namespace flatsign::xfr
