// Load-time limits on a zone's ALIAS records: alias-allow (every target under one of the allowed
// suffixes) and alias-max-targets (distinct targets per zone). A zone file that breaks them is
// refused like one that does not parse: at start the master does not start, on SIGHUP the old
// zone stays. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::master {

// The problems of `zone` (loaded from `path`), one a line: each ALIAS whose target is outside
// `allow` (none when `allow` is empty), named by file:line of its record (the file is read
// again only when there is one), and more than `max_targets` distinct targets. Empty: none.
[[nodiscard]] std::vector<std::string> check_alias_limits(const zone::Zone& zone,
                                                          const std::string& path,
                                                          const std::vector<dns::Name>& allow,
                                                          size_t max_targets);

}  // namespace flatsign::master
