// Strict, allocation-free JSON reader for device payloads (PROTOCOL: UTF-8 JSON objects,
// at most 1 KiB). It accepts exactly what JavaScript's JSON.parse accepts, so the device and
// the gateway agree on which bytes are JSON; only the top-level object's members are kept.
// A key repeated in one object (nested ones included) is refused, as parse.ts does.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sv {
namespace json {

enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };

struct Value {
  Type type = Type::Null;
  bool boolean = false;
  double number = 0;
  uint16_t strOff = 0;  // into Doc::arena (decoded UTF-8; lone surrogates kept as WTF-8)
  uint16_t strLen = 0;
  uint16_t items = 0;  // Array: number of direct elements
};

struct Member {
  uint16_t keyOff = 0;
  uint16_t keyLen = 0;
  Value value;
};

constexpr size_t kMaxInput = 1024;  // PROTOCOL: payloads are at most 1 KiB
constexpr size_t kMaxMembers = 32;  // more distinct keys than this can only be unknown fields

enum class Status : uint8_t { Object, NotObject, Syntax, TooLong, DuplicateKey };

// The keys of the objects being read, and where each object or array begins (a stack: an
// object's keys are dropped when it closes). Each entry starts at its own input character
// (`{`, `[` or a key's opening quote), so kMaxInput entries always suffice.
struct KeyRef {
  uint16_t off = 0;  // a key: into Doc::arena; or kObjectMark / kArrayMark
  uint16_t len = 0;  // a key: its length; an array mark: the index of the current element
};
constexpr uint16_t kArrayMark = 0xFFFE;
constexpr uint16_t kObjectMark = 0xFFFF;
constexpr size_t kMaxKeyRefs = kMaxInput;
constexpr size_t kMaxDupPath = 2 * kMaxInput;  // keys and indices of the path, with dots

struct Doc {
  Member members[kMaxMembers];
  size_t count = 0;
  bool overflow = false;  // more distinct keys than kMaxMembers (all extra ones are unknown)
  char arena[kMaxInput];  // decoded strings never exceed the input length
  size_t arenaUsed = 0;
  KeyRef keys[kMaxKeyRefs];
  size_t keyCount = 0;
  // Status::DuplicateKey: the first key (in input order) that repeats one of its object, named
  // by its path as parse.ts names it: members joined by '.', array elements by their index.
  bool duplicate = false;
  char dupPath[kMaxDupPath];
  size_t dupPathLen = 0;

  const char* str(uint16_t off) const { return arena + off; }
  // The member named `name` (with a repeated key: its first value), or nullptr.
  const Member* find(const char* name) const;
};

// Parses `len` bytes. Status::Object and Status::DuplicateKey fill `doc` with members.
Status parse(const char* in, size_t len, Doc& doc);

// True when `len` bytes are well-formed UTF-8 (as TextDecoder with fatal: true decides).
bool validUtf8(const char* in, size_t len);

// Unicode code points in decoded text (how zod and JSON Schema measure string length).
size_t codePoints(const char* s, size_t len);

}  // namespace json
}  // namespace sv
