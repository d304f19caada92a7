// The pre-publish review hook: it gets the on-change document, exit 0 publishes, anything else
// vetoes, and a timeout decides as review-on-timeout says.
#include <catch2/catch.hpp>

#include <csignal>

#include "slave/review.hpp"
#include "tests/unit/zone_helpers.hpp"

using namespace flatsign;
using slave::ReviewSettings;

namespace {
std::string document(const slave::ReviewInput& in) {
  std::string out;
  in.input([&](std::string_view piece) {
    out += piece;
    return true;
  });
  return out;
}
}  // namespace

TEST_CASE("review: the document is on-change's", "[slave][review]") {
  auto before = testing::build({"@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300",
                                "@ 3600 NS ns1", "ns1 3600 A 192.0.2.53", "www 60 A 192.0.2.1"});
  auto after = testing::build({"@ 3600 SOA ns1 hostmaster 2 7200 3600 1209600 300", "@ 3600 NS ns1",
                               "ns1 3600 A 192.0.2.53", "www 60 A 192.0.2.2"});
  auto diff = zone::diff_zones(*before, *after, {.ignore_soa_serial = true});
  auto in = slave::review_input({"example.", 10, 11, 2, "127.0.0.1:53", &diff, after});
  const std::string doc = document(in);
  CHECK_THAT(doc, Catch::StartsWith("{\"zone\":\"example.\",\"old_serial\":10,\"new_serial\":11,"
                                    "\"master_serial\":2,\"master\":\"127.0.0.1:53\","));
  CHECK_THAT(doc, Catch::Contains("\"added\":[\"www.example.\\t60\\tIN\\tA\\t192.0.2.2\"]"));
  CHECK_THAT(doc, Catch::Contains("\"removed\":[\"www.example.\\t60\\tIN\\tA\\t192.0.2.1\"]"));
  // The first publication lists every record as added.
  auto first = slave::review_input({"example.", std::nullopt, 1, 2, "m", nullptr, after});
  const std::string all = document(first);
  CHECK_THAT(all, Catch::Contains("\"old_serial\":null"));
  CHECK_THAT(all, Catch::Contains("ns1.example.\\t3600\\tIN\\tA\\t192.0.2.53"));
}

TEST_CASE("review: exit status and timeout decide", "[slave][review]") {
  std::signal(SIGPIPE, SIG_IGN);  // as in the daemon: a hook may stop reading
  auto z = testing::build({"@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300", "@ 3600 NS ns1",
                           "ns1 3600 A 192.0.2.53"});
  auto input = [&] {
    return slave::review_input({"example.", std::nullopt, 1, 1, "m", nullptr, z});
  };
  CHECK(
      slave::run_review({"grep -q 192.0.2.53", std::chrono::seconds(5), false}, input(), "example.")
          .publish);
  auto veto = slave::run_review({"exit 1", std::chrono::seconds(5), false}, input(), "example.");
  CHECK_FALSE(veto.publish);
  CHECK(veto.reason == "review-veto");
  auto timeout =
      slave::run_review({"sleep 20", std::chrono::milliseconds(200), false}, input(), "example.");
  CHECK_FALSE(timeout.publish);
  CHECK(timeout.reason == "review-timeout");
  auto lenient =
      slave::run_review({"sleep 20", std::chrono::milliseconds(200), true}, input(), "example.");
  CHECK(lenient.publish);
  CHECK(lenient.reason == "review-timeout");
}
