// What a fuzz target calls when an input breaks a property it checks (not only a crash):
// prints why and ends the process the way both engines report with the input (std::terminate:
// libFuzzer sees the abort, driver.cpp's terminate handler writes the input first).
#pragma once

#include <cstdio>
#include <exception>

#define FUZZ_CHECK(cond, why)                                                                    \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: property failed: %s (%s)\n", __FILE__, __LINE__, #cond, why); \
      std::terminate();                                                                          \
    }                                                                                            \
  } while (0)
