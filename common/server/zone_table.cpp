#include "common/server/zone_table.hpp"

#include <optional>

#include "common/server/name_index.hpp"

namespace flatsign::server {

ZoneTable::ZoneTable() : map_(std::make_shared<const Map>()) {}

std::shared_ptr<const ZoneTable::Map> ZoneTable::index(
    std::vector<std::shared_ptr<const SnapshotDirectory>> entries) {
  auto m = std::make_shared<Map>();
  m->entries = std::move(entries);
  m->by_hash.reserve(m->entries.size());
  for (size_t i = 0; i < m->entries.size(); ++i)
    m->by_hash.emplace(dns::wire_name_hash(m->entries[i]->origin().wire()), i);
  return m;
}

void ZoneTable::set(std::shared_ptr<const SnapshotDirectory> zone) {
  auto entries = map_.load()->entries;
  bool replaced = false;
  for (auto& e : entries) {
    if (e->origin() == zone->origin()) {
      e = zone;
      replaced = true;
    }
  }
  if (!replaced) entries.push_back(std::move(zone));
  map_.store(index(std::move(entries)));
}

void ZoneTable::set_all(const std::vector<std::shared_ptr<const SnapshotDirectory>>& zones) {
  if (zones.empty()) return;
  const auto current = map_.load();
  auto entries = current->entries;
  // Where each origin is: the current map's hash index, then the zones appended here (a catalog
  // adding one zone to 10,000 costs no ordered map of them all).
  std::unordered_multimap<uint64_t, size_t> appended;
  auto find = [&](const std::unordered_multimap<uint64_t, size_t>& by_hash, uint64_t hash,
                  const SnapshotDirectory& z) -> std::optional<size_t> {
    auto [it, end] = by_hash.equal_range(hash);
    for (; it != end; ++it)
      if (entries[it->second]->origin() == z.origin()) return it->second;
    return std::nullopt;
  };
  for (const auto& z : zones) {
    const uint64_t hash = dns::wire_name_hash(z->origin().wire());
    auto at = find(current->by_hash, hash, *z);
    if (!at) at = find(appended, hash, *z);
    if (at) {
      entries[*at] = z;
    } else {
      appended.emplace(hash, entries.size());
      entries.push_back(z);
    }
  }
  map_.store(index(std::move(entries)));
}

bool ZoneTable::remove(const dns::Name& origin) {
  auto entries = map_.load()->entries;
  const auto n = std::erase_if(entries, [&](const auto& e) { return e->origin() == origin; });
  if (n == 0) return false;
  map_.store(index(std::move(entries)));
  return true;
}

std::shared_ptr<const ServedZone> ZoneTable::find(const dns::Name& qname) const {
  return find_wire(qname.wire());
}

std::shared_ptr<const ServedZone> ZoneTable::find_wire(std::span<const uint8_t> qname) const {
  const auto m = map_.load();
  if (m->entries.size() == 1) return m->entries.front()->find_wire(qname);
  // RFC 1034 §4.3.2 step 2: the zone whose origin is the nearest ancestor of QNAME.
  const size_t labels = wire_label_count(qname);
  for (size_t strip = 0; strip <= labels && !m->entries.empty(); ++strip) {
    const WireName suffix = wire_suffix(qname, strip);
    auto [it, end] = m->by_hash.equal_range(dns::wire_name_hash(suffix));
    for (; it != end; ++it) {
      const auto& e = m->entries[it->second];
      if (wire_equal(e->origin().wire(), suffix)) return e->find_wire(qname);
    }
  }
  return nullptr;
}

}  // namespace flatsign::server
