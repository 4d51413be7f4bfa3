// UTF-8 checks shared by the JSON reader and the schema (declared in json.h).
#include "json.h"

namespace sv {
namespace json {

bool validUtf8(const char* in, size_t len) {
  const unsigned char* b = reinterpret_cast<const unsigned char*>(in);
  size_t i = 0;
  while (i < len) {
    unsigned char c = b[i];
    size_t more = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
    if (c < 0x80) more = 0;
    else if (c >= 0xC2 && c <= 0xDF) more = 1;
    else if (c == 0xE0) more = 2, lo = 0xA0;           // no overlong forms
    else if (c == 0xED) more = 2, hi = 0x9F;           // no UTF-16 surrogates
    else if (c >= 0xE1 && c <= 0xEF) more = 2;
    else if (c == 0xF0) more = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) more = 3;
    else if (c == 0xF4) more = 3, hi = 0x8F;           // nothing above U+10FFFF
    else return false;
    for (size_t k = 1; k <= more; ++k) {
      if (i + k >= len) return false;
      unsigned char cc = b[i + k];
      unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (cc < l || cc > h) return false;
    }
    i += more + 1;
  }
  return true;
}

size_t codePoints(const char* s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace json
}  // namespace sv
