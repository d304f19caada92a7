// flatsign-slave: the signing public authoritative (polls the master, re-signs on change).
// Placeholder CLI until the slave pipeline lands (issue 5).
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"flatsign-slave: polls a flatsign master by AXFR, re-signs with DNSSEC on change"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
