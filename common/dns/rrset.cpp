#include "common/dns/rrset.hpp"

#include <algorithm>

#include "common/dns/rdata.hpp"

namespace flatsign::dns {

void RRset::normalize() {
  auto less = [this](RdataRef a, RdataRef b) { return rdata_compare(type, a, b) < 0; };
  // Most RRsets hold one RDATA or arrive sorted (a signer's, a zone file's): no copy then.
  bool sorted = true;
  for (size_t i = 1; i < rdatas.size() && sorted; ++i) sorted = less(rdatas[i - 1], rdatas[i]);
  if (sorted) return;
  std::vector<RdataRef> refs(rdatas.begin(), rdatas.end());
  canonical_order(type, refs);
  rdatas.assign(refs);
}

void RRset::canonical_order(RRType type, std::vector<RdataRef>& refs) {
  auto less = [type](RdataRef a, RdataRef b) { return rdata_compare(type, a, b) < 0; };
  auto not_less = [&less](RdataRef a, RdataRef b) { return !less(a, b); };
  if (std::adjacent_find(refs.begin(), refs.end(), not_less) == refs.end()) return;
  // std::sort as on the vectors before: the same one of two case-different duplicates survives.
  std::sort(refs.begin(), refs.end(), less);
  auto eq = [type](RdataRef a, RdataRef b) { return rdata_compare(type, a, b) == 0; };
  refs.erase(std::unique(refs.begin(), refs.end(), eq), refs.end());
}

bool RRset::operator==(const RRset& other) const {
  if (type != other.type || rclass != other.rclass || ttl != other.ttl ||
      rdatas.size() != other.rdatas.size() || !(owner == other.owner)) {
    return false;
  }
  for (size_t i = 0; i < rdatas.size(); ++i) {
    if (rdata_compare(type, rdatas[i], other.rdatas[i]) != 0) return false;
  }
  return true;
}

}  // namespace flatsign::dns
