// Scalars of the JSON reader: strings (escapes, surrogates), numbers, literals.
#include <cstdlib>
#include <cstring>

#include "json-reader.h"

namespace sv {
namespace json {
namespace detail {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace


// Appends a code point as UTF-8 (a lone surrogate as its 3-byte form, like WTF-8).
void Reader::put(uint32_t cp, bool keep) {
  if (!keep) return;
  char buf[4];
  size_t n = 0;
  if (cp < 0x80) {
    buf[n++] = static_cast<char>(cp);
  } else if (cp < 0x800) {
    buf[n++] = static_cast<char>(0xC0 | (cp >> 6));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    buf[n++] = static_cast<char>(0xE0 | (cp >> 12));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    buf[n++] = static_cast<char>(0xF0 | (cp >> 18));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  }
  // Decoded text is never longer than its source, so the arena cannot overflow; guard anyway.
  if (doc->arenaUsed + n > kMaxInput) return;
  memcpy(doc->arena + doc->arenaUsed, buf, n);
  doc->arenaUsed += n;
}

bool Reader::hex4(uint32_t* out) {
  if (end - p < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    int h = hexVal(p[i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  p += 4;
  *out = v;
  return true;
}

bool Reader::string(bool keep, uint16_t* off, uint16_t* len) {
  ++p;  // opening quote
  size_t start = doc->arenaUsed;
  while (p < end) {
    unsigned char c = static_cast<unsigned char>(*p++);
    if (c == '"') {
      *off = static_cast<uint16_t>(start);
      *len = static_cast<uint16_t>(doc->arenaUsed - start);
      return true;
    }
    if (c < 0x20) return false;  // raw control characters are not JSON
    if (c != '\\') {
      if (keep && doc->arenaUsed < kMaxInput) doc->arena[doc->arenaUsed++] = static_cast<char>(c);
      continue;
    }
    if (p >= end) return false;
    char e = *p++;
    static const char kFrom[] = "\"\\/bfnrt";
    static const char kTo[] = "\"\\/\b\f\n\r\t";
    const char* hit = e != '\0' ? strchr(kFrom, e) : nullptr;
    if (hit != nullptr) {
      put(static_cast<uint32_t>(kTo[hit - kFrom]), keep);
      continue;
    }
    if (e != 'u') return false;
    uint32_t unit = 0;
    if (!hex4(&unit)) return false;
    // A high surrogate followed by an escaped low one is one code point; alone it stays a unit.
    if (unit >= 0xD800 && unit <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
      const char* save = p;
      p += 2;
      uint32_t low = 0;
      if (hex4(&low) && low >= 0xDC00 && low <= 0xDFFF) {
        put(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), keep);
        continue;
      }
      p = save;
    }
    put(unit, keep);
  }
  return false;
}

bool Reader::number(double* out) {
  const char* s = p;
  if (at('-')) ++p;
  if (at('0')) {
    ++p;
  } else if (p < end && isDigit(*p)) {
    while (p < end && isDigit(*p)) ++p;
  } else {
    return false;
  }
  if (at('.')) {
    ++p;
    if (!(p < end && isDigit(*p))) return false;
    while (p < end && isDigit(*p)) ++p;
  }
  if (at('e') || at('E')) {
    ++p;
    if (at('+') || at('-')) ++p;
    if (!(p < end && isDigit(*p))) return false;
    while (p < end && isDigit(*p)) ++p;
  }
  char buf[kMaxInput + 1];
  size_t n = static_cast<size_t>(p - s);
  memcpy(buf, s, n);
  buf[n] = '\0';
  *out = strtod(buf, nullptr);  // correctly rounded, as JSON.parse; 1e400 becomes inf there too
  return true;
}

bool Reader::value(Value* out, bool keep) {
  ws();
  if (p >= end) return false;
  Value v;
  char c = *p;
  if (c == '{' || c == '[') {
    v.type = c == '{' ? Type::Object : Type::Array;
    if (!nested(&v.items)) return false;
  } else if (c == '"') {
    v.type = Type::String;
    if (!string(keep, &v.strOff, &v.strLen)) return false;
  } else if (c == 't' || c == 'f') {
    v.type = Type::Bool;
    v.boolean = c == 't';
    if (!word(v.boolean ? "true" : "false")) return false;
  } else if (c == 'n') {
    if (!word("null")) return false;
  } else if (c == '-' || isDigit(c)) {
    v.type = Type::Number;
    if (!number(&v.number)) return false;
  } else {
    return false;
  }
  if (out != nullptr) *out = v;
  return true;
}

}  // namespace detail
}  // namespace json
}  // namespace sv
