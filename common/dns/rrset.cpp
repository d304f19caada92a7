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
  // std::sort as on the vectors before: the same one of two case-different duplicates survives.
  std::sort(refs.begin(), refs.end(), less);
  auto eq = [this](RdataRef a, RdataRef b) { return rdata_compare(type, a, b) == 0; };
  refs.erase(std::unique(refs.begin(), refs.end(), eq), refs.end());
  rdatas.assign(refs);
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
