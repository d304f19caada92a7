// The ZoneDirectory of a daemon serving many zones: maps each zone's origin to its swapped
// snapshot (a SnapshotDirectory) and answers for the most specific zone served, so a parent and
// its child zone on one server each answer their own part (RFC 1034 §4.3.2 step 2).
// Thread rule: find()/find_wire() may run on any thread at any time; set()/remove() are
// serialized by the caller (one thread changes the table) and publish a new map atomically.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/server/snapshot_directory.hpp"

namespace flatsign::server {

class ZoneTable : public ZoneDirectory {
 public:
  ZoneTable();

  // Serves `zone` (its origin is zone->origin()); replaces a zone with the same origin. O(zones):
  // the map is copied so that readers never lock.
  void set(std::shared_ptr<const SnapshotDirectory> zone);
  // Stops serving the zone `origin` (its queries get REFUSED, or the parent's answer). Returns
  // false when it was not served.
  bool remove(const dns::Name& origin);
  [[nodiscard]] size_t size() const { return map_.load()->entries.size(); }

  [[nodiscard]] std::shared_ptr<const ServedZone> find(const dns::Name& qname) const override;
  // No allocation: suffixes of `qname` are hashed in place, longest first.
  [[nodiscard]] std::shared_ptr<const ServedZone> find_wire(
      std::span<const uint8_t> qname) const override;

 private:
  struct Map {
    std::vector<std::shared_ptr<const SnapshotDirectory>> entries;
    std::unordered_multimap<uint64_t, size_t> by_hash;  // wire_name_hash(origin) -> entry
  };
  [[nodiscard]] static std::shared_ptr<const Map> index(
      std::vector<std::shared_ptr<const SnapshotDirectory>> entries);

  std::atomic<std::shared_ptr<const Map>> map_;
};

}  // namespace flatsign::server
