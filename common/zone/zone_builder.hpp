// ZoneBuilder: records in any order (a zone file, a transfer) grouped, sorted, checked and frozen
// into an immutable Zone. A builder belongs to one thread and is consumed by build().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/util/huge_pages.hpp"
#include "common/zone/location.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::zone {

class ZoneBuilder {
 public:
  explicit ZoneBuilder(dns::Name origin);
  ~ZoneBuilder();
  ZoneBuilder(const ZoneBuilder&) = delete;
  ZoneBuilder& operator=(const ZoneBuilder&) = delete;

  // Room for about `rrs` RRs, so that adding them does not move what was added before.
  void reserve(size_t rrs) { pending_.reserve(rrs); }
  // Adds one RR. `where` is kept for error messages. Cheap: checks run in build().
  void add(const dns::Rr& rr, const Location& where = {});
  // Adds a whole RRset (e.g. from another Zone).
  void add(const dns::RRset& rrset, const Location& where = {});

  struct Result {
    std::shared_ptr<const Zone> zone;
    std::vector<ZoneIssue> warnings;
  };
  // Groups, sorts and checks everything added, then freezes it. Checks (RFC 1034/1035/2181):
  // exactly one SOA at the apex; NS at the apex; no data outside the origin; CNAME with other
  // data (except RRSIG/NSEC); ALIAS with A, AAAA or CNAME; more than one CNAME or DNAME;
  // class IN only. Warnings: TTLs differing inside an RRset (set to the first one read,
  // RFC 2181 §5.2), data below a zone cut that is not glue (occluded).
  // Throws ZoneError listing every error. The builder is consumed.
  Result build() &&;

 private:
  // Where an RR came from, compactly: an index into files_ instead of a string per RR.
  struct Where {
    uint32_t file = 0;  // files_[file]; files_[0] is "" (unknown)
    uint32_t line = 0;
    uint32_t column = 0;
  };
  // One added RR. Its owner is an index into owners_, which holds each run of consecutive RRs
  // with the same owner once (zone files and transfers group RRs by owner). Its RDATA lives in
  // rdata_chunks_.
  struct Pending {
    uint32_t owner;
    uint32_t ttl;
    dns::RRType type;
    dns::RRClass rclass;
    Where where;
    const uint8_t* rdata;
    uint32_t rdata_size;
  };
  // build()'s steps and their shared state (zone_builder.cpp).
  struct Build;
  Location location(const Where& w) const;
  uint32_t file_index(const std::string& file);
  void add(const dns::Name& owner, dns::RRType type, dns::RRClass rclass, uint32_t ttl,
           std::span<const uint8_t> rdata, const Location& where);
  // A stable copy of `rdata` in rdata_chunks_.
  const uint8_t* keep(std::span<const uint8_t> rdata);

  dns::Name origin_;
  std::vector<dns::Name> owners_;
  // On huge pages once large (util/huge_pages.hpp): faulting in this table and the RDATA
  // chunks 4 KiB at a time took about a tenth of a 1M-name load.
  std::vector<Pending, util::HugePageAllocator<Pending>> pending_;
  // The RDATA of every pending RR, packed into large chunks: one heap block per RR (millions
  // for a large zone) left glibc that many small free chunks, which the next large allocation
  // then consolidated one by one (about 40 ms after loading a 1M-name signed zone).
  struct Chunk {
    uint8_t* data;
    size_t size;
  };
  std::vector<Chunk> rdata_chunks_;
  size_t chunk_used_ = 0, chunk_size_ = 0;
  void free_chunks() noexcept;
  std::vector<std::string> files_{""};
};

}  // namespace flatsign::zone
