// The protocol v1 schemas (shared/protocol/messages.ts) as tables, checked the way zod does:
// same fields, types, ranges and refinements, and issues reported in the same order, so the
// C++ verdict on any payload names the same field as parseDeviceMessage in TypeScript.
#pragma once
#include <cstddef>
#include <cstdint>

#include "json.h"

namespace sv {

enum class Kind : uint8_t { Telemetry, Status, Cmd, Ack };
bool kindFromName(const char* name, Kind* out);

// The error codes of shared/errors.ts that a payload check can produce.
enum class Code : uint8_t { Ok, TooLarge, NotUtf8, NotJson, DuplicateKey, Invalid };
const char* codeName(Code code);

struct Issue {
  const char* field;  // "(root)", a schema field, an unknown key or a repeated key's path (into the Doc)
  uint16_t fieldLen;
  const char* reason;
};

constexpr size_t kMaxIssues = 16;

struct Verdict {
  Code code = Code::Ok;
  Issue issues[kMaxIssues];
  size_t count = 0;  // issues stored (the rest are counted in `total`)
  size_t total = 0;
  bool ok() const { return code == Code::Ok; }
};

// parse.ts order: size, UTF-8, JSON, object, no repeated key, then the schema. `doc` keeps the parsed members
// (and the unknown keys the issues point to) alive for the caller.
void validate(Kind kind, const char* payload, size_t len, json::Doc& doc, Verdict& out);

}  // namespace sv
