// A zone transfer in RFC 5936 §2.2 multi-message form. A packed image (the master's, built once
// per snapshot) is copied per request with the ID patched: a memcpy, not a re-encode. A lazy
// image (the slave's) holds only the zone and packs it afresh for each request, keeping nothing.
// Immutable; share as std::shared_ptr<const AxfrImage> across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/zone/zone.hpp"

namespace flatsign::xfr {

inline constexpr size_t kAxfrPackedMessage = 16384;

struct AxfrImage {
  // SOA, every RR, SOA again (RFC 5936 §2.2), packed close to `limit` octets per message with
  // compression; message 0 holds the question (origin, AXFR, IN). IDs are 0.
  // Always empty in a lazy image.
  std::vector<std::vector<uint8_t>> messages;
  size_t rr_count = 0;
  // Octets the question's QNAME takes in message 0 (QTYPE follows at 12 + this).
  size_t qname_size = 0;

  // Set in a lazy image only: what to pack, and how (see lazy_axfr()).
  std::shared_ptr<const zone::Zone> source;
  size_t reserve = 0;
  size_t limit = kAxfrPackedMessage;
};

// Packs `zone`. `reserve` octets are left free in every message for a TSIG RR.
// The default of 16 KiB, not the 64 KiB a TCP message may hold: compression pointers are 14-bit
// offsets (RFC 1035 §4.1.4), so in a larger message the names past 16 KiB cannot point at each
// other and go out in full. Measured on a 30k-name zone: 10% fewer octets than 64 KiB messages.
[[nodiscard]] std::shared_ptr<const AxfrImage> pack_axfr(const zone::Zone& zone, size_t reserve,
                                                         size_t limit = kAxfrPackedMessage);

// An image of `zone` packed at each request and not kept. The packed form is about as large as
// the zone's wire form (75 MB for a signed 100k-name zone) and most snapshots are never
// transferred whole (secondaries take IXFR): a lazy image costs no memory between transfers, and
// the packing time (about 0.5 s at 100k names) per transfer.
[[nodiscard]] std::shared_ptr<const AxfrImage> lazy_axfr(std::shared_ptr<const zone::Zone> zone,
                                                         size_t reserve,
                                                         size_t limit = kAxfrPackedMessage);

// The messages of `image` for a request with `id`; for an IXFR request answered in AXFR form
// (RFC 1995 §4) pass `qtype` IXFR so the question matches the request. Packs a lazy image
// first.
[[nodiscard]] std::vector<std::vector<uint8_t>> axfr_for_request(const AxfrImage& image,
                                                                 uint16_t id, uint16_t qtype);

}  // namespace flatsign::xfr
