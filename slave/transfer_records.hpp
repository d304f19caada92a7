// The records of one incoming transfer, packed as they arrive: no allocation per record, and
// each owner kept as the labels it adds to the previous record's owner, so a transfer held in
// memory takes about its wire size however the master compressed it (a 2-octet compression
// pointer can stand for a 255-octet name, RFC 1035 §4.1.4). Not shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/dns/rrset.hpp"

namespace flatsign::slave {

class TransferRecords {
 public:
  // Appends a copy of `rr` (owner, type, class, TTL, uncompressed RDATA).
  void push_back(const dns::Rr& rr);

  [[nodiscard]] size_t size() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  // Octets of memory the records hold (the packed blocks' capacity).
  [[nodiscard]] size_t memory() const { return held_; }
  // The first record, kept whole (a transfer's opening SOA). REQUIRES: !empty().
  [[nodiscard]] const dns::Rr& front() const { return first_; }

  // Reads the records in order. Records that follow one another with the same owner share one
  // Name (one allocation per owner, not per record). The records must not change meanwhile.
  class Cursor {
   public:
    explicit Cursor(const TransferRecords& records) : records_(&records) {}
    // Overwrites `out` with the next record; false at the end (`out` is then left alone).
    bool next(dns::Rr& out);

   private:
    const TransferRecords* records_;
    size_t block_ = 0, offset_ = 0;
    dns::Name owner_;
  };
  [[nodiscard]] Cursor cursor() const { return Cursor(*this); }

  // Every record as a plain value (e.g. for a caller that wants a vector).
  [[nodiscard]] std::vector<dns::Rr> to_vector() const;

 private:
  // Room for `n` more octets at the end of the last block: a record never spans two blocks.
  uint8_t* append(size_t n);

  std::vector<std::vector<uint8_t>> blocks_;
  dns::Name last_owner_;
  dns::Rr first_;
  size_t count_ = 0;
  size_t held_ = 0;
};

}  // namespace flatsign::slave
