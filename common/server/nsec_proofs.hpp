// Authenticated denial for answers from a signed snapshot: one function per proof, as in Knot's
// nameserver/nsec_proofs.h (NSEC: RFC 4035 §3.1.3; NSEC3: RFC 5155 §7.2). Pure functions over an
// immutable Zone and its DenialIndex; thread-safe. Every proof appends whole RRsets with their
// RRSIGs to an authority section and never adds the same RRset twice.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "common/dns/name.hpp"
#include "common/dns/rrset.hpp"
#include "common/dnssec/denial.hpp"
#include "common/server/name_index.hpp"
#include "common/server/rrset_refs.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::server {

// How a snapshot proves denial, and for NSEC3 its hashes in order; also the snapshot's name
// index, which the answer engine uses for every lookup. Built once per snapshot.
class DenialIndex {
 public:
  enum class Kind { None, Nsec, Nsec3 };
  // Scans `zone`: NSEC3PARAM at the apex selects NSEC3 (every NSEC3 node is indexed), NSEC at
  // the apex selects NSEC, neither means unsigned (no proofs are given).
  // REQUIRES: `zone` outlives the index.
  explicit DenialIndex(const zone::Zone& zone);
  // The index of `zone` derived from `previous`, an earlier snapshot's, as NameIndex's derived
  // constructor: the same lookups as DenialIndex(zone). The NSEC3 hashes are re-read only at the
  // nodes the two zones do not share (the sorted list itself is copied, pointers only).
  // REQUIRES: as NameIndex(zone, previous.names()).
  DenialIndex(const zone::Zone& zone, const DenialIndex& previous);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] const zone::Zone& zone() const { return *zone_; }
  [[nodiscard]] const dnssec::Nsec3Params& params() const { return params_; }
  [[nodiscard]] const NameIndex& names() const { return names_; }
  // The NSEC3 node whose owner hash is `h`, or nullptr.
  [[nodiscard]] const zone::Node* nsec3_matching(const dnssec::Nsec3Hash& h) const;
  // The NSEC3 node whose owner hash is the greatest one below `h` (wrapping to the last one):
  // the record that covers `h` (RFC 5155 §1.3). nullptr when the chain is empty.
  [[nodiscard]] const zone::Node* nsec3_covering(const dnssec::Nsec3Hash& h) const;
  // The node holding the NSEC record that matches or covers `name` (RFC 4035 §3.1.3): the last
  // node with an NSEC that sorts <= name. nullptr for an NSEC chain that does not exist.
  // REQUIRES: name is at or below the origin.
  [[nodiscard]] const zone::Node* nsec_covering(WireName name) const;

 private:
  const zone::Zone* zone_;
  NameIndex names_;
  Kind kind_ = Kind::None;
  dnssec::Nsec3Params params_;
  std::vector<std::pair<dnssec::Nsec3Hash, const zone::Node*>> nsec3_;  // sorted by hash
  // Reads the apex: kind_ and params_.
  void read_apex();
  // Appends the entry of `n` to nsec3_ when it is an NSEC3 owner.
  void add_nsec3(const zone::Node& n, std::vector<uint8_t>& scratch);
};

// --- NSEC (RFC 4035 §3.1.3) ---
// Names come as uncompressed wire names in any case; these proofs allocate nothing once `out`
// has grown.
// §3.1.3.2 NXDOMAIN: the NSEC covering `qname` and the one covering "*." + `encloser`.
void nsec_nxdomain(const DenialIndex& idx, WireName qname, WireName encloser, RefSection& out);
// §3.1.3.1 NODATA: the NSEC at `qname`, or the covering NSEC when qname is an empty
// non-terminal (it owns no NSEC); also the no-DS proof at a delegation (§3.1.4).
void nsec_nodata(const DenialIndex& idx, WireName qname, RefSection& out);
// §3.1.3.3 wildcard answer: the NSEC covering `qname` (no closer match exists).
void nsec_wildcard_answer(const DenialIndex& idx, WireName qname, RefSection& out);
// §3.1.3.4 wildcard NODATA: the NSEC covering `qname` and the NSEC at `wildcard`.
void nsec_wildcard_nodata(const DenialIndex& idx, WireName qname, WireName wildcard,
                          RefSection& out);

// --- NSEC3 (RFC 5155 §7.2) ---
// Names as for NSEC; the hashes (RFC 5155 §5) are computed on the stack with one digest context
// per thread, so these allocate nothing either once a thread has answered once.
// §7.2.1 closest encloser proof: the NSEC3 matching `encloser` and the one covering the next
// closer name of `qname`. REQUIRES: encloser is a proper ancestor of qname.
void nsec3_closest_encloser(const DenialIndex& idx, WireName qname, WireName encloser,
                            RefSection& out);
// §7.2.2 NXDOMAIN: closest encloser proof + the NSEC3 covering "*." + encloser.
void nsec3_nxdomain(const DenialIndex& idx, WireName qname, WireName encloser, RefSection& out);
// §7.2.3 NODATA: the NSEC3 matching `qname`; when there is none (§7.2.4, DS at an opt-out
// delegation) the closest provable encloser proof.
void nsec3_nodata(const DenialIndex& idx, WireName qname, RefSection& out);
// §7.2.5 wildcard NODATA: closest encloser proof + the NSEC3 matching the wildcard.
void nsec3_wildcard_nodata(const DenialIndex& idx, WireName qname, WireName encloser,
                           RefSection& out);
// §7.2.6 wildcard answer: the NSEC3 covering the next closer name.
void nsec3_wildcard_answer(const DenialIndex& idx, WireName qname, WireName encloser,
                           RefSection& out);
// §7.2.7 referral without DS: the NSEC3 matching the cut, or (opt-out) the closest provable
// encloser proof for it.
void nsec3_no_ds(const DenialIndex& idx, WireName cut, RefSection& out);

}  // namespace flatsign::server
