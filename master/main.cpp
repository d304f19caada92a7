// flatsign-master: the hidden primary that flattens ALIAS records and serves AXFR.
// Placeholder CLI until the master lands (issue 3).
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"flatsign-master: serves zones by AXFR with ALIAS records flattened"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
