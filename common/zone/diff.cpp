#include "common/zone/diff.hpp"

#include <algorithm>

#include "common/dns/rdata.hpp"

namespace flatsign::zone {

using dns::Rdata;
using dns::RRset;
using dns::RRType;

size_t Diff::added_count() const {
  size_t n = 0;
  for (const auto& c : changes) n += c.added.size();
  return n;
}

size_t Diff::removed_count() const {
  size_t n = 0;
  for (const auto& c : changes) n += c.removed.size();
  return n;
}

std::string Diff::summary(size_t max_lines) const {
  std::string out;
  size_t lines = 0, total = 0;
  auto line = [&](char sign, const RRsetChange& c, uint32_t ttl, const Rdata& rd) {
    ++total;
    if (lines >= max_lines) return;
    ++lines;
    out.push_back(sign);
    out.push_back(' ');
    c.owner.append_text(out);
    out += " " + std::to_string(ttl) + " IN " + dns::type_to_string(c.type) + " ";
    dns::rdata_to_text(c.type, rd, out);
    out.push_back('\n');
  };
  for (const auto& c : changes) {
    for (const auto& rd : c.removed) line('-', c, c.old_ttl, rd);
    for (const auto& rd : c.added) line('+', c, c.new_ttl, rd);
    if (c.added.empty() && c.removed.empty()) {
      ++total;
      if (lines < max_lines) {
        ++lines;
        out += "~ " + c.owner.to_string() + " " + dns::type_to_string(c.type) + " TTL " +
               std::to_string(c.old_ttl) + " -> " + std::to_string(c.new_ttl) + "\n";
      }
    }
  }
  if (total > lines) out += "... " + std::to_string(total - lines) + " more\n";
  return out;
}

namespace {

// Appends to `diff` the change from `a` to `b` (either may be null), if any.
void diff_rrset(const RRset* a, const RRset* b, bool ignore_serial, Diff& diff) {
  // Most RRsets of two versions of a zone are byte for byte the same: no change, no copy.
  if (a && b && a->ttl == b->ttl && a->rdatas == b->rdatas) return;
  const RRset& any = a ? *a : *b;
  RRsetChange c{any.owner, any.type, any.rclass, a ? a->ttl : 0, b ? b->ttl : 0, {}, {}};
  static const dns::RdataList kNone;
  const auto& ra = a ? a->rdatas : kNone;
  const auto& rb = b ? b->rdatas : kNone;
  if (ignore_serial && a && b && any.type == RRType::SOA && ra.size() == 1 && rb.size() == 1) {
    Rdata x = ra[0].to_rdata(), y = rb[0].to_rdata();
    dns::set_soa_serial(x, 0);
    dns::set_soa_serial(y, 0);
    if (dns::rdata_compare(RRType::SOA, x, y) == 0 && a->ttl == b->ttl) return;
  }
  // Both lists are in canonical order (RRset::normalize): merge them.
  size_t i = 0, j = 0;
  while (i < ra.size() || j < rb.size()) {
    int cmp = i == ra.size() ? 1 : j == rb.size() ? -1 : dns::rdata_compare(any.type, ra[i], rb[j]);
    if (cmp < 0) {
      c.removed.push_back(ra[i++].to_rdata());
      diff.wire_octets += any.owner.wire_size() + 10 + c.removed.back().size();
    } else if (cmp > 0) {
      c.added.push_back(rb[j++].to_rdata());
      diff.wire_octets += any.owner.wire_size() + 10 + c.added.back().size();
    } else {
      ++i;
      ++j;
    }
  }
  if (!c.added.empty() || !c.removed.empty() || c.old_ttl != c.new_ttl) {
    diff.changes.push_back(std::move(c));
  }
}

void diff_node(const Node* a, const Node* b, const DiffOptions& options, Diff& diff) {
  static const Node::RRsets kNone;
  const auto& sa = a ? a->rrsets : kNone;
  const auto& sb = b ? b->rrsets : kNone;
  auto skip = [&options](const RRset& rs) {
    return options.skip_type != nullptr && options.skip_type(rs.type);
  };
  size_t i = 0, j = 0;
  while (true) {
    while (i < sa.size() && skip(sa[i])) ++i;
    while (j < sb.size() && skip(sb[j])) ++j;
    if (i == sa.size() && j == sb.size()) break;
    auto ta = i < sa.size() ? static_cast<uint32_t>(sa[i].type) : 0x10000u;
    auto tb = j < sb.size() ? static_cast<uint32_t>(sb[j].type) : 0x10000u;
    if (ta < tb) {
      diff_rrset(&sa[i++], nullptr, options.ignore_soa_serial, diff);
    } else if (tb < ta) {
      diff_rrset(nullptr, &sb[j++], options.ignore_soa_serial, diff);
    } else {
      diff_rrset(&sa[i++], &sb[j++], options.ignore_soa_serial, diff);
    }
  }
}

}  // namespace

Diff diff_zones(const Zone& from, const Zone& to, const DiffOptions& options) {
  Diff diff;
  auto na = from.nodes(), nb = to.nodes();
  size_t i = 0, j = 0;
  while (i < na.size() || j < nb.size()) {
    // Snapshots made by Zone::with_changes share their unchanged blocks: the same Node object
    // on both sides is the same content (a built Zone is never mutated), so it is skipped
    // without reading it, and diffing two such snapshots costs what the change costs.
    if (i < na.size() && j < nb.size() && &na[i] == &nb[j]) {
      ++i;
      ++j;
      continue;
    }
    // Equality is a cheap byte compare and the usual case; the canonical order only when not.
    std::strong_ordering cmp = i == na.size()             ? std::strong_ordering::greater
                               : j == nb.size()           ? std::strong_ordering::less
                               : na[i].name == nb[j].name ? std::strong_ordering::equal
                                                          : na[i].name <=> nb[j].name;
    if (cmp < 0) {
      diff_node(&na[i++], nullptr, options, diff);
    } else if (cmp > 0) {
      diff_node(nullptr, &nb[j++], options, diff);
    } else {
      diff_node(&na[i++], &nb[j++], options, diff);
    }
    if (diff.wire_octets > options.max_octets) {
      diff.cut_short = true;
      break;
    }
  }
  return diff;
}

}  // namespace flatsign::zone
