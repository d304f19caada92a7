#include "common/net/accept_loop.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/util/log.hpp"

namespace flatsign::net {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<void> accept_each(tcp::acceptor& acc, std::string subsystem,
                                  std::function<void(tcp::socket)> on_connection) {
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    if (!acc.is_open()) co_return;
    auto [ec, sock] = co_await acc.async_accept(kTuple);
    if (ec == asio::error::operation_aborted || !acc.is_open()) co_return;
    if (ec) {
      util::log(util::LogLevel::Warning, subsystem, "", "accept failed: {}", ec.message());
      asio::steady_timer pause(acc.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kTuple);
      continue;
    }
    on_connection(std::move(sock));
  }
}

}  // namespace flatsign::net
