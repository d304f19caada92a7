#include "common/server/snapshot_directory.hpp"

#include "common/server/name_index.hpp"

namespace flatsign::server {

SnapshotDirectory::SnapshotDirectory(dns::Name origin, std::shared_ptr<const TransferAccess> access)
    : origin_(std::move(origin)), access_(std::move(access)) {
  auto empty = std::make_shared<ServedZone>();
  empty->origin = origin_;
  empty->access = access_;
  served_.store(std::move(empty));
}

const SnapshotDirectory& SnapshotDirectory::refresh(std::shared_ptr<const zone::Zone> zone,
                                                    std::shared_ptr<const xfr::Journal> journal) {
  auto current = served_.load();
  if (current->zone == zone) {
    if (current->journal != journal) {
      auto next = std::make_shared<ServedZone>(*current);
      next->journal = std::move(journal);
      served_.store(std::move(next));
    }
    return *this;
  }
  auto next = std::make_shared<ServedZone>();
  next->journal = std::move(journal);
  next->origin = origin_;
  next->access = access_;
  if (zone) {
    // Derived from the current one's (a cost that grows with the change) while that snapshot,
    // which it reads, is alive: `current` holds it.
    next->denial = current->zone && current->denial
                       ? std::make_shared<const DenialIndex>(*zone, *current->denial)
                       : std::make_shared<const DenialIndex>(*zone);
    next->axfr = xfr::lazy_axfr(zone, 0);
  }
  next->zone = std::move(zone);
  served_.store(std::move(next));
  return *this;
}

std::shared_ptr<const ServedZone> SnapshotDirectory::find(const dns::Name& qname) const {
  return qname.is_subdomain_of(origin_) ? served_.load() : nullptr;
}

std::shared_ptr<const ServedZone> SnapshotDirectory::find_wire(
    std::span<const uint8_t> qname) const {
  return wire_is_subdomain(qname, origin_.wire()) ? served_.load() : nullptr;
}

}  // namespace flatsign::server
