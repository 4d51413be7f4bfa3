// Arrays, objects and the top level of the JSON reader (see json.h).
#include <cstring>

#include "json-reader.h"

namespace sv {
namespace json {
namespace detail {

// Skips a nested array/object without recursion (deep nesting must not eat the stack).
bool Reader::nested(uint16_t* items) {
  *items = 0;  // direct elements: zod measures .length on any value that has one
  uint8_t isObj[kMaxInput / 8] = {};
  size_t depth = 0;
  auto top = [&]() { return (isObj[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1; };
  auto key = [&]() {
    uint16_t o = 0, l = 0;
    if (!at('"') || !string(true, &o, &l)) return false;  // kept: compared with its siblings
    addKey(o, l);
    ws();
    if (!at(':')) return false;
    ++p;
    return true;
  };
  bool wantValue = true;
  while (true) {
    if (wantValue) {
      ws();
      if (at('{') || at('[')) {
        bool obj = *p++ == '{';
        if (depth >= kMaxInput) return false;
        if (obj) isObj[depth / 8] |= static_cast<uint8_t>(1u << (depth % 8));
        else isObj[depth / 8] &= static_cast<uint8_t>(~(1u << (depth % 8)));
        ++depth;
        openFrame(obj);
        ws();
        if (at(obj ? '}' : ']')) {
          ++p;
          --depth;
          closeFrame();
          wantValue = false;
        } else if (obj && !key()) {
          return false;
        } else if (depth == 1) {
          *items = 1;
        }
        continue;
      }
      if (!value(nullptr, false)) return false;
      wantValue = false;
    }
    if (depth == 0) return true;
    ws();
    if (at(',')) {
      ++p;
      if (depth == 1 && *items < 0xFFFF) ++*items;
      if (!top()) nextElement();
      ws();
      if (top() && !key()) return false;
      wantValue = true;
    } else if (at(top() ? '}' : ']')) {
      ++p;
      --depth;
      closeFrame();
    } else {
      return false;
    }
  }
}

bool Reader::object() {
  ++p;
  openFrame(true);
  ws();
  if (at('}')) {
    ++p;
    return true;
  }
  while (true) {
    ws();
    Member m;
    if (!at('"') || !string(true, &m.keyOff, &m.keyLen)) return false;
    addKey(m.keyOff, m.keyLen);
    ws();
    if (!at(':')) return false;
    ++p;
    if (!value(&m.value, true)) return false;
    // A repeated key makes the payload invalid (Status::DuplicateKey); its first value stays.
    bool dup = false;
    for (size_t i = 0; i < doc->count && !dup; ++i) {
      const Member& o = doc->members[i];
      dup = o.keyLen == m.keyLen && memcmp(doc->arena + o.keyOff, doc->arena + m.keyOff, m.keyLen) == 0;
    }
    if (!dup) {
      if (doc->count < kMaxMembers) doc->members[doc->count++] = m;
      else doc->overflow = true;
    }
    ws();
    if (at(',')) {
      ++p;
      continue;
    }
    if (!at('}')) return false;
    ++p;
    return true;
  }
}

}  // namespace detail

using detail::Reader;

const Member* Doc::find(const char* name) const {
  size_t n = strlen(name);
  for (size_t i = 0; i < count; ++i) {
    const Member& m = members[i];
    if (m.keyLen == n && memcmp(arena + m.keyOff, name, n) == 0) return &m;
  }
  return nullptr;
}

Status parse(const char* in, size_t len, Doc& doc) {
  doc.count = 0;
  doc.overflow = false;
  doc.arenaUsed = 0;
  doc.keyCount = 0;
  doc.duplicate = false;
  doc.dupPathLen = 0;
  if (len > kMaxInput) return Status::TooLong;
  Reader r{in, in + len, &doc};
  r.ws();
  bool obj = r.at('{');
  if (obj ? !r.object() : !r.value(nullptr, false)) return Status::Syntax;
  r.ws();
  if (r.p != r.end) return Status::Syntax;
  if (!obj) return Status::NotObject;
  return doc.duplicate ? Status::DuplicateKey : Status::Object;
}

}  // namespace json
}  // namespace sv
