#include "slave/ixfr_client.hpp"

#include "common/dns/rdata.hpp"
#include "common/net/address.hpp"
#include "common/util/log.hpp"

namespace flatsign::slave {
namespace asio = boost::asio;
using asio::ip::tcp;
using util::LogLevel;

IxfrRequest ixfr_request(const zone::Zone& served, uint32_t master_serial) {
  IxfrRequest r;
  r.serial = master_serial;
  r.soa = served.soa().rdatas.front().to_rdata();
  dns::set_soa_serial(r.soa, master_serial);
  return r;
}

namespace {

// Why an IXFR answer from one master is to be asked again by AXFR; empty when it is not.
std::string axfr_instead(const IxfrAssembler& ixfr, const IxfrRequest& request) {
  if (ixfr.form() == IxfrAssembler::Form::Declined) return ixfr.detail();
  if (ixfr.form() != IxfrAssembler::Form::UpToDate) return {};
  const uint32_t serial = dns::soa_serial(ixfr.soa().rdata);
  if (serial != ixfr.client_serial())
    return "the master is at serial " + std::to_string(serial) + ", older than the slave's " +
           std::to_string(ixfr.client_serial());
  if (request.axfr_when_up_to_date)
    return "up to date at serial " + std::to_string(serial) + " (poll-mode axfr compares content)";
  return {};
}

}  // namespace

asio::awaitable<AxfrAttempt> fetch_transfer_any(asio::any_io_executor ex,
                                                std::vector<tcp::endpoint> masters, dns::Name zone,
                                                AxfrClientOptions options,
                                                std::optional<IxfrRequest> ixfr) {
  AxfrAttempt last;
  for (const auto& m : masters) {
    last = co_await fetch_axfr(ex, m, zone, options, ixfr);
    if (last.ixfr) {
      if (const std::string why = axfr_instead(*last.ixfr, *ixfr); !why.empty()) {
        util::log(LogLevel::Debug, "slave", zone.to_string(), "IXFR from {}: {}; asking AXFR",
                  net::endpoint_text(asio::ip::udp::endpoint(m.address(), m.port())), why);
        last = co_await fetch_axfr(ex, m, zone, options);
      }
    }
    if (last.state() == AxfrAssembler::State::Complete) co_return last;
    // A content refusal is the master's answer; only transport failures try the next one.
    if (last.verdict() != Verdict::RefusedIncomplete) co_return last;
  }
  co_return last;
}

}  // namespace flatsign::slave
