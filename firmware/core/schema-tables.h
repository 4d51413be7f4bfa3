// Field tables of the four v1 messages (internal to schema.cpp; mirrors messages.ts).
#pragma once
#include <cstddef>
#include <cstdint>

#include "schema.h"

namespace sv {

enum class F : uint8_t { One, Int, Num, Bool, Enum, Str };

struct Field {
  const char* name;
  F type;
  bool optional;
  bool nullable;
  double min;  // value (Int, Num) or length in code points (Str)
  double max;
  const char* const* options;  // Enum: nullptr-terminated
  bool idChars;                // Str: ^[A-Za-z0-9_-]+$
};

struct Schema {
  const Field* fields;  // in the order of the zod shape (the order issues are reported in)
  size_t count;
};

constexpr double kMaxSafeInt = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER
constexpr double kMaxEpochMs = 8640000000000000.0;  // the largest JavaScript Date

const Schema& schemaFor(Kind kind);

}  // namespace sv
