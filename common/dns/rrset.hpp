// Resource records and RRsets as plain values. An RRset holds its RDATAs in RFC 4034 §6.3
// canonical order without duplicates once normalize() ran. Not synchronized; share only frozen.
#pragma once

#include <cstdint>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rdata_list.hpp"
#include "common/dns/types.hpp"

namespace flatsign::dns {

// One resource record with uncompressed RDATA.
struct Rr {
  Name owner;
  RRType type = RRType::A;
  RRClass rclass = RRClass::IN;
  uint32_t ttl = 0;
  Rdata rdata;
};

struct RRset {
  Name owner;
  RRType type = RRType::A;
  RRClass rclass = RRClass::IN;
  uint32_t ttl = 0;
  RdataList rdatas;  // packed: one heap block for all of them

  // Sorts RDATAs canonically and removes duplicates (RFC 2181 §5: an RRset is a set).
  void normalize();
  // Puts `refs` (RDATAs of an RRset of `type`) in the order normalize() leaves them, without the
  // duplicates it drops: for a caller that places the final list itself (one copy, no regrowth).
  static void canonical_order(RRType type, std::vector<RdataRef>& refs);
  // Same owner, type, class, TTL and RDATA set. REQUIRES: both normalized.
  bool operator==(const RRset& other) const;
};

}  // namespace flatsign::dns
