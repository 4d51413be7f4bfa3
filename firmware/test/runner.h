// A tiny test runner for the host tests (no framework to download). Output is TAP-like and
// ends with one summary line that test/contract.test.ts and scripts/test-firmware.mjs parse:
//   # summary tests=<n> passed=<n> failed=<n> checks=<n>
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace svt {

using Fn = void (*)();
struct Reg {
  Reg(const char* name, Fn fn);
};
bool check(bool ok, const char* expr, const char* file, int line);
bool checkStr(const std::string& got, const std::string& want, const char* expr, const char* file, int line);
bool checkNum(long long got, long long want, const char* expr, const char* file, int line);
int runAll();

}  // namespace svt

#define SVT_CAT2(a, b) a##b
#define SVT_CAT(a, b) SVT_CAT2(a, b)
#define TEST(name)                                    \
  static void name();                                 \
  static const svt::Reg SVT_CAT(reg_, name)(#name, name); \
  static void name()
#define CHECK(cond) svt::check(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
#define CHECK_STR(got, want) svt::checkStr((got), (want), #got, __FILE__, __LINE__)
#define CHECK_EQ(got, want) \
  svt::checkNum(static_cast<long long>(got), static_cast<long long>(want), #got, __FILE__, __LINE__)
