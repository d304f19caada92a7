// JSON text for status documents: string quoting (RFC 8259 §7) and the outline that
// `flatsign-slave status` prints, including its fallback for text that is not JSON.
#include <catch2/catch.hpp>

#include "common/util/json_text.hpp"

using flatsign::util::json_outline;
using flatsign::util::json_string;

TEST_CASE("json_string escapes quotes, backslashes and control characters", "[json]") {
  CHECK(json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json_string("l1\nl2\t\r") == "\"l1\\nl2\\t\\r\"");
  CHECK(json_string(std::string("\x01", 1)) == "\"\\u0001\"");
  CHECK(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
}

TEST_CASE("json_outline prints nested members and arrays indented", "[json]") {
  const std::string doc =
      R"({"zone":"example.test.","serial":5,"last":null,"poll":{"result":"changed","ok":true},)"
      R"("keys":[{"tag":1,"alg":13},{"tag":2,"alg":13}],"ds":["a b","c"],"empty":{},"none":[]})";
  CHECK(json_outline(doc) ==
        "zone: example.test.\n"
        "serial: 5\n"
        "last: null\n"
        "poll:\n"
        "  result: changed\n"
        "  ok: true\n"
        "keys:\n"
        "  - tag: 1\n"
        "    alg: 13\n"
        "  - tag: 2\n"
        "    alg: 13\n"
        "ds:\n"
        "  - a b\n"
        "  - c\n"
        "empty: {}\n"
        "none: []\n");
}

TEST_CASE("json_outline unescapes strings and nests arrays of arrays", "[json]") {
  CHECK(json_outline(R"({"d":"say \"hi\"\n"})") == "d: say \"hi\"\n\n");
  CHECK(json_outline("[[1,2],3]") == "-\n  - 1\n  - 2\n- 3\n");
  CHECK(json_outline(" -1.5e3 ") == "-1.5e3\n");
}

TEST_CASE("json_outline returns text that is not JSON unchanged", "[json]") {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "\"open", "{a:1}"})
    CHECK(json_outline(bad) == bad);
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK(json_outline(deep) == deep);  // deeper than the reader's cap
}
