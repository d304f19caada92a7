// The serving hot path: a UDP query with one question, opcode QUERY, class IN, an ordinary
// QTYPE and no record but an OPT (nearly every query) is answered from the snapshot straight
// into the response buffer, with no dns::Message and no copy of a record or a name. Anything
// else is left to respond()'s general path, which gives the same bytes for these queries.
// Thread-safe: each thread keeps its own scratch space.
#pragma once

#include "common/net/listener.hpp"
#include "common/server/responder.hpp"

namespace flatsign::server {

// Answers `request` into `out` and returns true when it is such a query for a loaded zone of
// `zones`; otherwise writes nothing and returns false. Never throws for bad input.
// Once a thread's scratch has grown to the answers asked, the only allocation left is the
// response buffer, and none when request.spare lends one.
// REQUIRES: !request.tcp.
[[nodiscard]] bool answer_plain_query(const ZoneDirectory& zones, const ResponderPolicy& policy,
                                      const net::Request& request, net::Responses& out);

}  // namespace flatsign::server
