#include "common/dns/rrset.hpp"

#include <algorithm>

#include "common/dns/rdata.hpp"

namespace flatsign::dns {

void RRset::normalize() {
  auto less = [this](const Rdata& a, const Rdata& b) { return rdata_compare(type, a, b) < 0; };
  if (!std::is_sorted(rdatas.begin(), rdatas.end(), less)) {
    std::sort(rdatas.begin(), rdatas.end(), less);
  }
  auto eq = [this](const Rdata& a, const Rdata& b) { return rdata_compare(type, a, b) == 0; };
  rdatas.erase(std::unique(rdatas.begin(), rdatas.end(), eq), rdatas.end());
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
