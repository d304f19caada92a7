// The pieces of the change document both slave hooks get on stdin (on-change after a
// publication, review before one): records as JSON strings holding their zone-file lines, and
// times in ISO 8601. Pure functions; any thread.
#pragma once

#include <ctime>
#include <string>

#include "common/util/hooks.hpp"
#include "common/zone/diff.hpp"
#include "common/zone/zone.hpp"

namespace flatsign::slave {

// "2026-12-07T06:30:00Z".
[[nodiscard]] std::string iso_time(std::time_t t);

// One side of `diff` ("name TTL IN TYPE rdata" lines) as JSON array items, without brackets.
[[nodiscard]] std::string json_record_items(const zone::Diff& diff, bool added);

// Every record of `z` as JSON array items (no brackets), SOA first, handed to `write` in pieces
// of about 64 KB: the whole text (tens of MB for a large zone's first publication) would set
// the slave's peak memory. False when the reader went away.
bool write_json_record_items(const zone::Zone& z, const util::HookWrite& write);

}  // namespace flatsign::slave
