// flatsign-master: the hidden primary that flattens ALIAS records and serves AXFR.
// Thin: parse the configuration, load the zones, run the daemon on one io_context.
// `flatsign-master status --http ADDR [--metrics|--text]` prints a running master's /status (or
// /metrics) and exits.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/cli/status_cli.hpp"
#include "common/util/log.hpp"
#include "common/util/version.hpp"
#include "master/config.hpp"
#include "master/master_daemon.hpp"

int main(int argc, char** argv) {
  using namespace flatsign;
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("flatsign-master %s\n", util::version_text());
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "status") == 0)
    return cli::run_status_command({"flatsign-master", "127.0.0.1:9153", false}, argc - 1,
                                   argv + 1);
  master::ConfigSource source;
  master::MasterConfig config;
  bool check = false;
  int rc = master::parse_master_config(argc, argv, source, config, check);
  if (rc < 0) return 0;
  if (rc != 0) return rc;
  boost::asio::io_context io;
  master::MasterDaemon daemon(io, config);
  // SIGHUP reads the --config file as it is then, under the same command line.
  daemon.set_config_source([source](master::MasterConfig& fresh) -> std::vector<std::string> {
    try {
      fresh = master::load_master_config(source);
      return {};
    } catch (const std::exception& e) {
      std::vector<std::string> lines;  // one problem a line
      std::string all = e.what();
      for (size_t at = 0; at <= all.size();) {
        size_t nl = std::min(all.find('\n', at), all.size());
        lines.push_back(all.substr(at, nl - at));
        at = nl + 1;
      }
      return lines;
    }
  });
  auto errors = daemon.load_all();
  for (const auto& e : errors) std::fprintf(stderr, "flatsign-master: %s\n", e.c_str());
  if (!errors.empty()) return 1;
  if (check) {
    std::fputs(daemon.explain_aliases().c_str(), stdout);
    std::fprintf(stderr, "flatsign-master: configuration and %zu zone(s) OK%s%s\n",
                 config.zones.size(), config.catalog.name ? ", catalog " : "",
                 config.catalog.name ? config.catalog.name->to_string().c_str() : "");
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
