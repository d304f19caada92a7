#include "master/alias_limits.hpp"

#include <set>

#include <fmt/format.h>

#include "common/dns/rdata.hpp"
#include "common/zone/zonefile.hpp"
#include "master/alias_expander.hpp"

namespace flatsign::master {

std::vector<std::string> check_alias_limits(const zone::Zone& zone, const std::string& path,
                                            const std::vector<dns::Name>& allow,
                                            size_t max_targets) {
  std::vector<std::string> out;
  std::set<dns::Name> targets;
  bool outside = false;
  for (const AliasResult& a : find_aliases(zone)) {
    targets.insert(a.target);
    outside = outside || !name_allowed(a.target, allow);
  }
  std::string suffixes;
  for (const dns::Name& s : allow) suffixes += (suffixes.empty() ? "" : ", ") + s.to_string();
  if (outside) {
    // The built zone keeps no line numbers: read the file again for them (rare: an error).
    auto sink = [&](dns::Rr&& rr, const zone::Location& where) {
      if (rr.type != dns::RRType::ALIAS) return;
      auto target = dns::rdata_target(dns::RRType::ALIAS, rr.rdata);
      if (target && !name_allowed(*target, allow))
        out.push_back(fmt::format("{}: ALIAS {} -> {}: target outside alias-allow ({})",
                                  where.to_string(), rr.owner.to_string(), target->to_string(),
                                  suffixes));
    };
    try {
      (void)zone::parse_zone_file(path, zone.origin(), sink);
    } catch (const std::exception&) {
      out.clear();  // changed under us: report without lines
    }
    if (out.empty()) {
      for (const AliasResult& a : find_aliases(zone))
        if (!name_allowed(a.target, allow))
          out.push_back(fmt::format("{}: ALIAS {} -> {}: target outside alias-allow ({})", path,
                                    a.owner.to_string(), a.target.to_string(), suffixes));
    }
  }
  if (targets.size() > max_targets)
    out.push_back(fmt::format("{}: {} distinct ALIAS targets, more than alias-max-targets {}", path,
                              targets.size(), max_targets));
  return out;
}

}  // namespace flatsign::master
