// IXFR in (RFC 1995): how the slave asks its masters for a zone it already serves. It asks IXFR
// from the master's serial its content came from and falls back to AXFR when a master declines
// IXFR or has nothing to say about that serial. Coroutines on the caller's executor; each call
// is independent.
#pragma once

#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/dns/name.hpp"
#include "common/zone/zone.hpp"
#include "slave/axfr_client.hpp"
#include "slave/ixfr_reader.hpp"

namespace flatsign::slave {

// How a zone is transferred once the slave serves it (the first transfer is always an AXFR).
enum class TransferMode {
  Ixfr,  // IXFR from the master's serial last applied, AXFR when that cannot be used
  Axfr,  // AXFR every time
};

// The IXFR request for `served` (the zone being served), made from the master's version
// `master_serial`: its SOA with the master's serial in place of the slave's.
[[nodiscard]] IxfrRequest ixfr_request(const zone::Zone& served, uint32_t master_serial);

// Tries `masters` in order as fetch_axfr_any() does, by IXFR from `ixfr` when set. On one
// master, an IXFR answered FORMERR, NOTIMP or REFUSED, or answered "up to date" at a serial
// other than ours (a master that went back: only the content can tell) or while
// ixfr->axfr_when_up_to_date, is asked again by AXFR at once; an answer in AXFR form is read as an
// AXFR. Any other outcome is the attempt's: an incremental answer (AxfrAttempt::incremental()) goes
// to check_ixfr(), a whole zone to check_transfer(). REQUIRES: masters is not empty.
[[nodiscard]] boost::asio::awaitable<AxfrAttempt> fetch_transfer_any(
    boost::asio::any_io_executor ex, std::vector<boost::asio::ip::tcp::endpoint> masters,
    dns::Name zone, AxfrClientOptions options, std::optional<IxfrRequest> ixfr);

}  // namespace flatsign::slave
