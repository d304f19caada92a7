// The version both daemons print for --version: the project version and the git commit the
// binary was built from ("0.1.0 (commit 1a2b3c4d5e6f)"), or "unknown commit" outside a git
// checkout. Defined in a source the build generates (cmake/version.cmake).
#pragma once

namespace flatsign::util {

[[nodiscard]] const char* version_text();

}  // namespace flatsign::util
