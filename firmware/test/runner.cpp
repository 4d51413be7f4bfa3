#include "runner.h"

#include <cstdio>
#include <vector>

namespace svt {
namespace {

struct Entry {
  const char* name;
  Fn fn;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}

int g_checks = 0;
int g_failedChecks = 0;

}  // namespace

Reg::Reg(const char* name, Fn fn) { registry().push_back(Entry{name, fn}); }

bool check(bool ok, const char* expr, const char* file, int line) {
  ++g_checks;
  if (!ok) {
    ++g_failedChecks;
    printf("  # FAILED %s:%d: %s\n", file, line, expr);
  }
  return ok;
}

bool checkStr(const std::string& got, const std::string& want, const char* expr, const char* file, int line) {
  bool ok = check(got == want, expr, file, line);
  if (!ok) printf("  #   got:  %s\n  #   want: %s\n", got.c_str(), want.c_str());
  return ok;
}

bool checkNum(long long got, long long want, const char* expr, const char* file, int line) {
  bool ok = check(got == want, expr, file, line);
  if (!ok) printf("  #   got %lld, want %lld\n", got, want);
  return ok;
}

int runAll() {
  int passed = 0, failed = 0, n = 0;
  for (const Entry& e : registry()) {
    int before = g_failedChecks;
    e.fn();
    bool ok = g_failedChecks == before;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, e.name);
    (ok ? passed : failed)++;
  }
  printf("1..%d\n# summary tests=%d passed=%d failed=%d checks=%d\n", n, n, passed, failed, g_checks);
  return failed == 0 && n > 0 ? 0 : 1;
}

}  // namespace svt
