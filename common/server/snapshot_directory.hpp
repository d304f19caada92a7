// One zone's swapped snapshot, as a ZoneDirectory of its own or an entry of a ZoneTable: wraps
// each newly published signed Zone once (denial index for DNSSEC answers; AXFR is packed per
// transfer) and hands the wrapper to the responder. refresh() belongs to one thread (the
// serving io_context); find() may run on any thread once refresh() has published.
#pragma once

#include <atomic>
#include <memory>

#include "common/server/responder.hpp"

namespace flatsign::server {

class SnapshotDirectory : public ZoneDirectory {
 public:
  // `access`: who may transfer this zone; null: the responder's policy decides alone.
  explicit SnapshotDirectory(dns::Name origin,
                             std::shared_ptr<const TransferAccess> access = nullptr);

  [[nodiscard]] const dns::Name& origin() const { return origin_; }

  // Makes `zone` the served snapshot, building its ServedZone when it differs from the last one
  // (its denial index derived from the last one's: the cost grows with the blocks the two
  // snapshots do not share; AXFR is packed per transfer, not here). nullptr: the
  // zone is not loaded (SERVFAIL). `journal` is the IXFR journal published with it (a new journal
  // alone is a cheap swap). Returns *this for chaining into respond().
  const SnapshotDirectory& refresh(std::shared_ptr<const zone::Zone> zone,
                                   std::shared_ptr<const xfr::Journal> journal = nullptr);

  [[nodiscard]] std::shared_ptr<const ServedZone> find(const dns::Name& qname) const override;
  // The same without building a Name: the UDP hot path's lookup.
  [[nodiscard]] std::shared_ptr<const ServedZone> find_wire(
      std::span<const uint8_t> qname) const override;

 private:
  dns::Name origin_;
  std::shared_ptr<const TransferAccess> access_;
  std::atomic<std::shared_ptr<const ServedZone>> served_;
};

}  // namespace flatsign::server
