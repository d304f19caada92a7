#include "common/cli/status_cli.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "common/net/address.hpp"
#include "common/net/http_status.hpp"
#include "common/util/json_text.hpp"
#include "common/util/log.hpp"

namespace flatsign::cli {

int run_status_command(const StatusCommand& spec, int argc, char** argv) {
  const std::string program(spec.program);
  CLI::App app{program + " status: print a running daemon's GET /status"};
  std::string http = spec.default_http;
  bool metrics = false, json = false, text = false;
  std::string zone;
  int timeout_ms = 3000;
  app.add_option("--http", http, "the daemon's --http address:port (" + http + ")");
  app.add_flag("--metrics", metrics, "print GET /metrics (Prometheus text) instead");
  app.add_flag("--json", json, "print the status as JSON");
  app.add_flag("--text", text, "print the status as an indented outline");
  app.add_option("--timeout", timeout_ms, "ms to wait for the answer (3000)");
  app.add_option("--zone", zone, "only this zone's status (a daemon serving many zones)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    auto ep = net::parse_endpoint(http, 0);
    std::string body = net::http_get(boost::asio::ip::tcp::endpoint(ep.address(), ep.port()),
                                     metrics        ? std::string("/metrics")
                                     : zone.empty() ? std::string("/status")
                                                    : "/status?zone=" + zone,
                                     std::chrono::milliseconds(timeout_ms));
    if (!metrics && (text || (spec.text_default && !json))) body = util::json_outline(body);
    std::fwrite(body.data(), 1, body.size(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s status: %s\n", program.c_str(), e.what());
    return 1;
  }
}

}  // namespace flatsign::cli
