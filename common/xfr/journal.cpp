#include "common/xfr/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

#include "common/dns/rdata.hpp"
#include "common/dns/wire.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/log.hpp"
#include "common/zone/diff.hpp"

namespace flatsign::xfr {
namespace {

using dns::Rr;

constexpr std::array<uint8_t, 4> kMagic = {'F', 'S', 'J', '1'};
constexpr size_t kFrameHeader = 12;  // magic, length, CRC

// CRC-32 (IEEE 802.3, as zlib): catches a torn or half-synced record at the tail.
uint32_t crc32(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

size_t rr_wire_size(const Rr& rr) {
  return rr.owner.wire_size() + 10 + rr.rdata.size();
}

void put_rr(dns::WireWriter& w, const Rr& rr) {
  w.name(rr.owner, false);
  w.u16(static_cast<uint16_t>(rr.type));
  w.u16(static_cast<uint16_t>(rr.rclass));
  w.u32(rr.ttl);
  w.u16(static_cast<uint16_t>(rr.rdata.size()));
  w.bytes(rr.rdata);
}

Rr get_rr(dns::WireReader& r) {
  Rr rr;
  rr.owner = r.name_uncompressed();
  rr.type = static_cast<dns::RRType>(r.u16());
  rr.rclass = static_cast<dns::RRClass>(r.u16());
  rr.ttl = r.u32();
  auto rd = r.bytes(r.u16());
  rr.rdata.assign(rd.begin(), rd.end());
  return rr;
}

uint32_t get_u32(const std::vector<uint8_t>& d, size_t at) {
  return uint32_t(d[at]) << 24 | uint32_t(d[at + 1]) << 16 | uint32_t(d[at + 2]) << 8 | d[at + 3];
}

[[noreturn]] void throw_errno(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}

// RR identity for condensing: owner, type and RDATA (RFC 1995 deletes by these; TTL is not part
// of it). The order is only a stable map order.
struct RrKeyLess {
  bool operator()(const Rr& a, const Rr& b) const {
    if (auto c = a.owner <=> b.owner; c != 0) return c < 0;
    if (a.type != b.type) return a.type < b.type;
    return a.rdata < b.rdata;
  }
};

// Appends each RR of `set` (one of `node`'s) to `out` with its emitted TTL.
// `rds`: the RRset's own RdataList or a Diff's vector of RDATAs.
template <class Rdatas>
void append_rrs(const zone::Node& node, const dns::RRset& set, const Rdatas& rds,
                std::vector<Rr>& out) {
  for (const auto& rd : rds) {
    const std::span<const uint8_t> octets(rd);
    out.push_back(Rr{set.owner, set.type, set.rclass, node.record_ttl(set, octets),
                     dns::Rdata(octets.begin(), octets.end())});
  }
}

}  // namespace

uint32_t JournalEntry::from() const {
  return dns::soa_serial(old_soa.rdata);
}
uint32_t JournalEntry::to() const {
  return dns::soa_serial(new_soa.rdata);
}

size_t JournalEntry::wire_size() const {
  size_t n = rr_wire_size(old_soa) + rr_wire_size(new_soa);
  for (const auto& rr : removed) n += rr_wire_size(rr);
  for (const auto& rr : added) n += rr_wire_size(rr);
  return n;
}

std::optional<uint32_t> Journal::first_serial() const {
  if (entries.empty()) return std::nullopt;
  return entries.front()->from();
}

std::optional<uint32_t> Journal::last_serial() const {
  if (entries.empty()) return std::nullopt;
  return entries.back()->to();
}

std::optional<JournalEntry> Journal::condensed_since(uint32_t serial) const {
  size_t start = 0;
  while (start < entries.size() && entries[start]->from() != serial) ++start;
  if (start == entries.size()) return std::nullopt;
  if (entries.size() - start == 1) return *entries[start];
  std::map<Rr, Rr, RrKeyLess> removed, added;
  for (size_t i = start; i < entries.size(); ++i) {
    for (const auto& rr : entries[i]->removed) {
      // Deleting what an earlier step added: neither appears.
      if (added.erase(rr) == 0) removed.emplace(rr, rr);
    }
    for (const auto& rr : entries[i]->added) {
      auto it = removed.find(rr);
      if (it != removed.end() && it->second.ttl == rr.ttl) {
        removed.erase(it);  // put back as it was
      } else {
        added.insert_or_assign(rr, rr);
      }
    }
  }
  JournalEntry out{entries[start]->old_soa, entries.back()->new_soa, {}, {}};
  out.removed.reserve(removed.size());
  for (auto& [k, rr] : removed) out.removed.push_back(rr);
  out.added.reserve(added.size());
  for (auto& [k, rr] : added) out.added.push_back(rr);
  return out;
}

std::optional<JournalEntry> make_journal_entry(const zone::Zone& from, const zone::Zone& to,
                                               size_t max_bytes) {
  const dns::RRset& os = from.soa();
  const dns::RRset& ns = to.soa();
  JournalEntry e{Rr{os.owner, os.type, os.rclass, os.ttl, os.rdatas.front().to_rdata()},
                 Rr{ns.owner, ns.type, ns.rclass, ns.ttl, ns.rdatas.front().to_rdata()},
                 {},
                 {}};
  // The diff's octets never exceed the step's: a TTL change re-adds records on top of them.
  const zone::Diff diff = zone::diff_zones(from, to, {.max_octets = max_bytes});
  if (diff.cut_short) return std::nullopt;
  for (const auto& c : diff.changes) {
    if (c.type == dns::RRType::SOA && c.owner == to.origin()) continue;  // the delimiters
    const zone::Node* on = from.find(c.owner);
    const zone::Node* nn = to.find(c.owner);
    const dns::RRset* oset = on ? on->find(c.type) : nullptr;
    const dns::RRset* nset = nn ? nn->find(c.type) : nullptr;
    // RRSIG TTLs are per record (those of the covered RRsets), and a covered RRset's TTL is in
    // its RRSIG's RDATA, so RRSIG changes are always RDATA changes.
    const bool ttl_changed = oset && nset && c.type != dns::RRType::RRSIG && oset->ttl != nset->ttl;
    if (oset) {
      if (ttl_changed) {
        append_rrs(*on, *oset, oset->rdatas, e.removed);
      } else {
        append_rrs(*on, *oset, c.removed, e.removed);
      }
    }
    if (nset) {
      if (ttl_changed) {
        append_rrs(*nn, *nset, nset->rdatas, e.added);
      } else {
        append_rrs(*nn, *nset, c.added, e.added);
      }
    }
  }
  return e;
}

std::vector<uint8_t> encode_journal_record(const JournalEntry& e) {
  dns::WireWriter w(SIZE_MAX);
  w.bytes(kMagic);
  w.u32(0);  // length, patched below
  w.u32(0);  // CRC
  w.u32(static_cast<uint32_t>(e.removed.size()));
  w.u32(static_cast<uint32_t>(e.added.size()));
  put_rr(w, e.old_soa);
  put_rr(w, e.new_soa);
  for (const auto& rr : e.removed) put_rr(w, rr);
  for (const auto& rr : e.added) put_rr(w, rr);
  std::vector<uint8_t> out = w.take();
  const auto len = static_cast<uint32_t>(out.size() - kFrameHeader);
  const uint32_t crc = crc32(out.data() + kFrameHeader, len);
  for (int i = 0; i < 4; ++i) {
    out[4 + i] = static_cast<uint8_t>(len >> (24 - 8 * i));
    out[8 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  }
  return out;
}

std::optional<JournalEntry> decode_journal_record(const std::vector<uint8_t>& data,
                                                  size_t& offset) {
  if (data.size() - offset < kFrameHeader) return std::nullopt;
  if (!std::equal(kMagic.begin(), kMagic.end(), data.begin() + static_cast<long>(offset)))
    return std::nullopt;
  const uint32_t len = get_u32(data, offset + 4);
  const uint32_t crc = get_u32(data, offset + 8);
  if (data.size() - offset - kFrameHeader < len) return std::nullopt;
  const uint8_t* payload = data.data() + offset + kFrameHeader;
  if (crc32(payload, len) != crc) return std::nullopt;
  dns::WireReader r(std::span<const uint8_t>(payload, len));
  JournalEntry e;
  const uint32_t nrem = r.u32(), nadd = r.u32();
  e.old_soa = get_rr(r);
  e.new_soa = get_rr(r);
  // Each RR takes at least 11 octets: bounds the reservation by the payload.
  if (!r.ok() || uint64_t(nrem) + nadd > len / 11) return std::nullopt;
  e.removed.reserve(nrem);
  for (uint32_t i = 0; i < nrem && r.ok(); ++i) e.removed.push_back(get_rr(r));
  e.added.reserve(nadd);
  for (uint32_t i = 0; i < nadd && r.ok(); ++i) e.added.push_back(get_rr(r));
  if (!r.ok() || r.remaining() != 0 || e.old_soa.type != dns::RRType::SOA ||
      e.new_soa.type != dns::RRType::SOA)
    return std::nullopt;
  offset += kFrameHeader + len;
  return e;
}

JournalFile::JournalFile(std::string path, JournalLimits limits)
    : path_(std::move(path)), limits_(limits) {}

std::shared_ptr<const Journal> JournalFile::load(std::optional<uint32_t> served_serial) {
  std::vector<uint8_t> data;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) throw_errno("cannot open", path_);
  if (fd >= 0) {
    uint8_t buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) data.insert(data.end(), buf, buf + n);
    const int err = errno;
    ::close(fd);
    if (n < 0) {
      errno = err;
      throw_errno("cannot read", path_);
    }
  }
  std::vector<std::shared_ptr<const JournalEntry>> all;
  size_t offset = 0;
  while (offset < data.size()) {
    auto e = decode_journal_record(data, offset);
    if (!e) break;
    all.push_back(std::make_shared<const JournalEntry>(std::move(*e)));
  }
  const size_t torn = data.size() - offset;
  // Keep the run of chained steps that ends at the served serial.
  size_t start = all.size();
  if (served_serial && !all.empty() && all.back()->to() == *served_serial) {
    start = all.size() - 1;
    while (start > 0 && all[start - 1]->to() == all[start]->from()) --start;
  }
  const size_t unchained = start;
  auto j = std::make_shared<Journal>();
  for (size_t i = start; i < all.size(); ++i) j->entries.push_back(all[i]);
  // The limits, oldest first.
  size_t trimmed = 0;
  for (const auto& e : j->entries) j->bytes += e->wire_size();
  while (!j->entries.empty() &&
         (j->entries.size() > limits_.max_versions || j->bytes > limits_.max_bytes)) {
    j->bytes -= j->entries.front()->wire_size();
    j->entries.erase(j->entries.begin());
    ++trimmed;
  }
  journal_ = j;
  file_records_ = all.size();
  file_bytes_ = offset;
  if (torn != 0)
    util::log(util::LogLevel::Warning, "journal", path_,
              "dropped {} octets of torn or corrupt records at offset {}", torn, offset);
  if (unchained != 0)
    util::log(util::LogLevel::Warning, "journal", path_,
              "dropped {} steps that do not chain to the served serial {}", unchained,
              served_serial ? std::to_string(*served_serial) : "(none)");
  if (torn != 0 || unchained != 0 || trimmed != 0) rewrite();
  if (!j->entries.empty())
    util::log(util::LogLevel::Info, "journal", path_, "{} steps loaded, serials {} -> {}",
              j->entries.size(), *j->first_serial(), *j->last_serial());
  return journal_;
}

void JournalFile::rewrite() {
  std::string text;
  for (const auto& e : journal_->entries) {
    auto rec = encode_journal_record(*e);
    text.append(rec.begin(), rec.end());
  }
  util::write_file_atomically(path_, text, 0644);
  file_records_ = journal_->entries.size();
  file_bytes_ = text.size();
}

std::shared_ptr<const Journal> JournalFile::reset() {
  journal_ = std::make_shared<const Journal>();
  if (file_records_ != 0 || file_bytes_ != 0) rewrite();
  return journal_;
}

std::shared_ptr<const Journal> JournalFile::append(JournalEntry entry) {
  if (entry.wire_size() > limits_.max_bytes) {
    util::log(util::LogLevel::Info, "journal", path_,
              "step {} -> {} ({} removed, {} added) is over the journal's {} octets: not kept",
              entry.from(), entry.to(), entry.removed.size(), entry.added.size(),
              limits_.max_bytes);
    return reset();
  }
  auto next = std::make_shared<Journal>();
  const bool chains = journal_->last_serial() == entry.from();
  if (chains) *next = *journal_;
  next->bytes += entry.wire_size();
  next->entries.push_back(std::make_shared<const JournalEntry>(std::move(entry)));
  while (next->entries.size() > 1 &&
         (next->entries.size() > limits_.max_versions || next->bytes > limits_.max_bytes)) {
    next->bytes -= next->entries.front()->wire_size();
    next->entries.erase(next->entries.begin());
  }
  const auto rec = encode_journal_record(*next->entries.back());
  const size_t slack = std::max<size_t>(1, limits_.max_versions / 4);
  try {
    journal_ = next;
    if (!chains || file_records_ + 1 > limits_.max_versions + slack ||
        file_bytes_ + rec.size() > limits_.max_bytes + limits_.max_bytes / 4) {
      rewrite();
      return journal_;
    }
    // A record is appended whole or, at a crash, leaves a tail that fails its length or CRC
    // and is dropped at the next load.
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("cannot open", path_);
    size_t done = 0;
    while (done < rec.size()) {
      ssize_t n = ::write(fd, rec.data() + done, rec.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        throw_errno("cannot append to", path_);
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      errno = err;
      throw_errno("cannot fsync", path_);
    }
    ::close(fd);
    ++file_records_;
    file_bytes_ += rec.size();
  } catch (...) {
    // What is on disk is unknown now: serve no IXFR rather than a wrong one.
    journal_ = std::make_shared<const Journal>();
    ::unlink(path_.c_str());
    file_records_ = file_bytes_ = 0;
    throw;
  }
  return journal_;
}

}  // namespace flatsign::xfr
