// Repeated keys (see json.h): the JSON reader records every key of the objects it is inside,
// compares each new key (decoded, so "temp\u0043" repeats "tempC") with the earlier keys of the
// same object, and names the first repetition by its path, as shared/protocol/duplicate-keys.ts.
#include <cstdio>
#include <cstring>

#include "json-reader.h"

namespace sv {
namespace json {
namespace detail {
namespace {

bool isMark(const KeyRef& k) { return k.off >= kArrayMark; }

}  // namespace

void Reader::openFrame(bool object) {
  if (doc->keyCount >= kMaxKeyRefs) return;  // cannot happen: one entry per input character
  KeyRef& k = doc->keys[doc->keyCount++];
  k.off = object ? kObjectMark : kArrayMark;
  k.len = 0;
}

void Reader::closeFrame() {
  while (doc->keyCount > 0) {
    if (isMark(doc->keys[--doc->keyCount])) return;
  }
}

void Reader::nextElement() {
  if (doc->keyCount > 0 && doc->keys[doc->keyCount - 1].off == kArrayMark) ++doc->keys[doc->keyCount - 1].len;
}

void Reader::addKey(uint16_t off, uint16_t len) {
  if (!doc->duplicate) {
    for (size_t i = doc->keyCount; i-- > 0;) {
      const KeyRef& k = doc->keys[i];
      if (isMark(k)) break;  // the start of this object: earlier keys belong to others
      if (k.len == len && memcmp(doc->arena + k.off, doc->arena + off, len) == 0) {
        recordDuplicate(off, len);
        break;
      }
    }
  }
  if (doc->keyCount >= kMaxKeyRefs) return;
  doc->keys[doc->keyCount++] = KeyRef{off, len};
}

// The path: for every open frame but the innermost, its current member (the last key before the
// next frame's mark) or element index; then the repeated key. Runs once per payload at most.
void Reader::recordDuplicate(uint16_t off, uint16_t len) {
  doc->duplicate = true;
  size_t n = 0;
  bool first = true;
  auto append = [&](const char* s, size_t l) {
    if (!first && n < kMaxDupPath) doc->dupPath[n++] = '.';
    first = false;
    size_t room = kMaxDupPath - n;
    if (l > room) l = room;
    memcpy(doc->dupPath + n, s, l);
    n += l;
  };
  size_t i = 0;
  while (i < doc->keyCount) {
    size_t next = i + 1;
    while (next < doc->keyCount && !isMark(doc->keys[next])) ++next;
    if (next >= doc->keyCount) break;  // the innermost frame: the one holding the repeated key
    const KeyRef& mark = doc->keys[i];
    if (mark.off == kArrayMark) {
      char num[8];
      int l = snprintf(num, sizeof num, "%u", static_cast<unsigned>(mark.len));
      append(num, static_cast<size_t>(l));
    } else if (next - 1 > i) {
      const KeyRef& member = doc->keys[next - 1];
      append(doc->arena + member.off, member.len);
    } else {
      append("", 0);  // an object frame always has its member's key; guard anyway
    }
    i = next;
  }
  append(doc->arena + off, len);
  doc->dupPathLen = n;
}

}  // namespace detail
}  // namespace json
}  // namespace sv
