// Reading a catalog zone (RFC 9432, schema version 2) as a consumer: its member zones with their
// unique IDs and `group` and `coo` properties. Pure functions of their arguments; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

struct CatalogEntry {
  std::string id;                   // the <unique-N> label (§4.2)
  std::vector<std::string> groups;  // `group` property values (§4.4.2), in RDATA order
  std::optional<dns::Name> coo;     // `coo` property (§4.4.1): the catalog it moves to
  bool operator==(const CatalogEntry&) const = default;
};

// Members by zone name.
using CatalogMembers = std::map<dns::Name, CatalogEntry>;

// The catalog cannot be used as a whole: the previous member list stays. what() names the
// record at fault and the RFC 9432 rule it breaks.
class CatalogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The members of `catalog` (a complete transfer of it). Refused with CatalogError when:
// version.<catalog> is missing or not exactly one TXT "2" (§4.3.1: a consumer must not process
// an unknown schema); a <unique-N>.zones node has no PTR or several (§4.2: exactly one); two
// IDs name the same zone (§4.2: the catalog is broken); a member is the catalog itself; a
// property has the wrong type or count (§4.4.1: one coo PTR).
// Unknown records elsewhere are ignored, as §4.1 requires.
[[nodiscard]] CatalogMembers parse_catalog(const zone::Zone& catalog);

}  // namespace flatsign::slave
