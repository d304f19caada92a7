// flatsign-master: the hidden primary that flattens ALIAS records and serves AXFR.
// Thin: parse the configuration, load the zones, run the daemon on one io_context.
// `flatsign-master status --http ADDR [--metrics]` prints a running master's /status (or
// /metrics) and exits.
#include <cstdio>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>

#include "common/net/address.hpp"
#include "common/net/http_status.hpp"
#include "common/util/log.hpp"
#include "master/config.hpp"
#include "master/master_daemon.hpp"

namespace {

// The `status` subcommand: 0 printed, 1 the master did not answer, 2 bad arguments.
int status_command(int argc, char** argv) {
  using namespace flatsign;
  CLI::App app{"flatsign-master status: print a running master's GET /status (JSON)"};
  std::string http = "127.0.0.1:9153";
  bool metrics = false;
  int timeout_ms = 3000;
  app.add_option("--http", http, "the master's --http address:port");
  app.add_flag("--metrics", metrics, "print GET /metrics (Prometheus text) instead");
  app.add_option("--timeout", timeout_ms, "ms to wait for the answer (3000)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    auto ep = net::parse_endpoint(http, 0);
    std::string body =
        net::http_get(boost::asio::ip::tcp::endpoint(ep.address(), ep.port()),
                      metrics ? "/metrics" : "/status", std::chrono::milliseconds(timeout_ms));
    std::fwrite(body.data(), 1, body.size(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flatsign-master status: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace flatsign;
  if (argc >= 2 && std::strcmp(argv[1], "status") == 0) return status_command(argc - 1, argv + 1);
  master::MasterConfig config;
  int rc = master::parse_master_config(argc, argv, config);
  if (rc < 0) return 0;
  if (rc != 0) return rc;
  boost::asio::io_context io;
  master::MasterDaemon daemon(io, config);
  auto errors = daemon.load_all();
  for (const auto& e : errors) std::fprintf(stderr, "flatsign-master: %s\n", e.c_str());
  if (!errors.empty()) return 1;
  if (config.check_only) {
    std::fprintf(stderr, "flatsign-master: configuration and %zu zone(s) OK\n",
                 config.zones.size());
    return 0;
  }
  try {
    daemon.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flatsign-master: %s\n", e.what());
    return 1;
  }
  io.run();
  util::log(util::LogLevel::Info, "master", "", "stopped");
  return 0;
}
