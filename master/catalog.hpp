// The RFC 9432 catalog zone flatsign-master produces: the list of zones it serves, with their
// group and change-of-ownership properties, as an ordinary zone for consumers to transfer.
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::master {

// One member zone and its properties, as configured.
struct CatalogMember {
  dns::Name zone;
  // RFC 9432 §4.4.2 `group` property: one TXT RR each; consumers pick settings by it.
  std::vector<std::string> groups;
  // RFC 9432 §4.4.1 `coo` property: the catalog the member is moving to.
  std::optional<dns::Name> coo;

  bool operator==(const CatalogMember&) const = default;
};

// The member node label (RFC 9432 §4.2 `<unique-N>`) of `zone`: the first 8 octets of the
// SHA-256 digest of its lowercased wire form, as 16 lowercase hex digits. The label must not
// change while the zone stays a member: consumers treat a changed label as a removal followed by
// an addition and drop the zone's state (§5.4, §5.6). A digest of the name keeps it stable
// across restarts and identical on every master without storing anything, and names that differ
// only in case (the same zone) get the same label.
[[nodiscard]] std::string catalog_member_id(const dns::Name& zone);

// The catalog zone `catalog` with SOA serial `serial` listing `members` (schema version 2):
//   catalog 0 SOA invalid. invalid. serial 300 60 2419200 0
//   catalog 0 NS invalid.                              (§4.1: ignored by consumers)
//   version.catalog 0 TXT "2"                          (§4.3.1)
//   <id>.zones.catalog 0 PTR member.                   (§4.2: one per member)
//   group.<id>.zones.catalog 0 TXT "group"             (§4.4.2)
//   coo.<id>.zones.catalog 0 PTR other-catalog.        (§4.4.1)
// TTLs are 0: the catalog is for transfers between servers, never for resolvers (§4.2).
// Throws std::invalid_argument naming the member when a group is empty or longer than 255
// octets, a member is listed twice, two members share a label, or a name gets too long; and
// zone::ZoneError if the builder rejects the result.
[[nodiscard]] std::shared_ptr<const zone::Zone> build_catalog(
    const dns::Name& catalog, const std::vector<CatalogMember>& members, uint32_t serial);

}  // namespace flatsign::master
