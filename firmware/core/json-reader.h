// The JSON reader's cursor (internal to json.cpp and json-containers.cpp).
#pragma once
#include <cstring>

#include "json.h"

namespace sv {
namespace json {
namespace detail {

struct Reader {
  const char* p;
  const char* end;
  Doc* doc;

  bool at(char c) const { return p < end && *p == c; }
  // JSON.parse whitespace is exactly these four (no BOM, no NBSP).
  void ws() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  bool word(const char* w) {
    size_t n = strlen(w);
    if (static_cast<size_t>(end - p) < n || memcmp(p, w, n) != 0) return false;
    p += n;
    return true;
  }
  void put(uint32_t cp, bool keep);
  bool hex4(uint32_t* out);
  bool string(bool keep, uint16_t* off, uint16_t* len);
  bool number(double* out);
  bool value(Value* out, bool keep);
  bool nested(uint16_t* items);
  bool object();
  // Key bookkeeping (json-keys.cpp): frames opened and closed, array elements, keys seen.
  void openFrame(bool object);
  void closeFrame();
  void nextElement();
  void addKey(uint16_t off, uint16_t len);
  void recordDuplicate(uint16_t off, uint16_t len);
};

}  // namespace detail
}  // namespace json
}  // namespace sv
