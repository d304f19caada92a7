// The master's served serials kept on disk (state-dir), so a restart never serves a lower serial
// than before: slaves ignore a serial that went back (RFC 1982) and would keep the old zone.
// One small file per zone, <state-dir>/<zone>.serial, replaced atomically after each new serial;
// it also holds a digest of the served content, so a restart that flattens the same content
// serves the same serial (no transfer, no re-signing) and one that flattens something else goes
// one past it. Pure functions over the file system; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::master {

struct StoredSerial {
  uint32_t serial = 0;
  uint64_t digest = 0;  // content_digest() of the zone served under `serial`
};

// <dir>/<zone, lowercased, without the final dot; "root." for the root>.serial
[[nodiscard]] std::string serial_path(const std::string& dir, const dns::Name& origin);
// The stored serial of `origin`; nullopt when there is none. Throws std::runtime_error naming the
// file when it exists but cannot be read or parsed (a start must not guess).
[[nodiscard]] std::optional<StoredSerial> read_stored_serial(const std::string& dir,
                                                             const dns::Name& origin);
// Replaces the file atomically (util::write_file_atomically); throws std::system_error.
void write_stored_serial(const std::string& dir, const dns::Name& origin, const StoredSerial& s);
// A 64-bit digest (SHA-256, first octets) of every record of `z` except the SOA serial.
[[nodiscard]] uint64_t content_digest(const zone::Zone& z);

}  // namespace flatsign::master
