// The zone-file parser and ZoneBuilder on any text ($INCLUDE off): either a ZoneFileError or a
// ZoneError, as their contracts say, or a zone whose canonical text (print_zone) parses and
// builds again into the same canonical text.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/zone/zone.hpp"
#include "common/zone/zone_builder.hpp"
#include "common/zone/zonefile.hpp"
#include "fuzz/check.hpp"

using namespace flatsign;

namespace {

// Parses and builds `text`; throws what they throw.
std::string canonical(std::string_view text, const dns::Name& origin) {
  zone::ZoneFileOptions options;
  options.allow_include = false;
  options.source_name = "fuzz";
  zone::ZoneBuilder builder(origin);
  (void)zone::parse_zone_text(
      text, origin, [&](dns::Rr&& rr, const zone::Location& where) { builder.add(rr, where); },
      options);
  auto built = std::move(builder).build();
  std::string out;
  zone::print_zone(*built.zone, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  static const dns::Name origin = dns::Name::parse("example.");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string first;
  try {
    first = canonical(text, origin);
  } catch (const zone::ZoneFileError&) {
    return -1;  // rejected as the contracts say (libFuzzer: not worth keeping)
  } catch (const zone::ZoneError&) {
    return -1;
  }
  std::string second;
  try {
    second = canonical(first, origin);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, e.what());
  }
  FUZZ_CHECK(second == first, "the canonical text does not read back to itself");
  return 0;
}
