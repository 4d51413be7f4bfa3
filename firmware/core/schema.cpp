#include "schema.h"

#include <cmath>
#include <cstring>

#include "schema-tables.h"

namespace sv {
namespace {

using json::Doc;
using json::Member;
using json::Type;
using json::Value;

void add(Verdict& v, const char* field, size_t len, const char* reason) {
  ++v.total;
  if (v.count < kMaxIssues) v.issues[v.count++] = Issue{field, static_cast<uint16_t>(len), reason};
}

void add(Verdict& v, const char* field, const char* reason) { add(v, field, strlen(field), reason); }

bool strIs(const Doc& doc, const Value& v, const char* s) {
  size_t n = strlen(s);
  return v.type == Type::String && v.strLen == n && memcmp(doc.str(v.strOff), s, n) == 0;
}

bool idChars(const char* s, size_t n) {
  if (n == 0) return false;  // the regex needs at least one character
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// One field. Returns false when the issue aborts (zod then skips the refinements).
bool checkField(const Doc& doc, const Field& f, Verdict& out) {
  const Member* m = doc.find(f.name);
  if (m == nullptr) {
    if (f.optional) return true;
    add(out, f.name, "required");
    return false;
  }
  const Value& v = m->value;
  if (v.type == Type::Null && f.nullable) return true;
  switch (f.type) {
    case F::One:
      if (v.type == Type::Number && v.number == 1) return true;
      add(out, f.name, "expected 1");
      return false;
    case F::Bool:
      if (v.type == Type::Bool) return true;
      add(out, f.name, "expected boolean");
      return false;
    case F::Enum:
      for (const char* const* o = f.options; *o != nullptr; ++o) {
        if (strIs(doc, v, *o)) return true;
      }
      add(out, f.name, "invalid option");
      return false;
    case F::Int:
    case F::Num: {
      if (v.type != Type::Number || !std::isfinite(v.number)) {
        add(out, f.name, "expected number");
        return false;
      }
      double x = v.number;
      // zod .int(): a fraction is a type error (aborts the field and the refinements); an
      // integer beyond 2^53 is a range issue, and the min/max checks still run after it.
      if (f.type == F::Int && std::trunc(x) != x) {
        add(out, f.name, "expected int");
        return false;
      }
      if (f.type == F::Int && std::fabs(x) > kMaxSafeInt) add(out, f.name, "outside the safe integer range");
      if (x < f.min) add(out, f.name, "too small");
      if (x > f.max) add(out, f.name, "too big");
      return true;
    }
    case F::Str: {
      if (v.type != Type::String) {
        add(out, f.name, "expected string");
        // zod quirk: its length checks run on anything with a .length, so an array also
        // gets "too short"/"too long" for its element count (the regex check does not run).
        if (v.type == Type::Array && v.items < f.min) add(out, f.name, "too short");
        if (v.type == Type::Array && v.items > f.max) add(out, f.name, "too long");
        return false;
      }
      const char* s = doc.str(v.strOff);
      double cp = static_cast<double>(json::codePoints(s, v.strLen));
      if (cp < f.min) add(out, f.name, "too short");
      if (cp > f.max) add(out, f.name, "too long");
      if (f.idChars && !idChars(s, v.strLen)) add(out, f.name, "must use only letters, digits, \"_\" and \"-\"");
      return true;
    }
  }
  return false;
}

bool known(const Schema& s, const char* key, size_t len) {
  for (size_t i = 0; i < s.count; ++i) {
    if (strlen(s.fields[i].name) == len && memcmp(s.fields[i].name, key, len) == 0) return true;
  }
  return false;
}

// JavaScript orders own keys with array indices ("0".."4294967294") first, ascending.
bool arrayIndex(const char* k, size_t n, double* out) {
  if (n == 0 || n > 10 || (n > 1 && k[0] == '0')) return false;
  double v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (k[i] < '0' || k[i] > '9') return false;
    v = v * 10 + (k[i] - '0');
  }
  *out = v;
  return v <= 4294967294.0;
}

void unknownKeys(const Doc& doc, const Schema& s, Verdict& out) {
  double last = -1;
  while (true) {  // indices, smallest first (few keys: a selection pass is enough)
    const Member* next = nullptr;
    double best = 0;
    for (size_t i = 0; i < doc.count; ++i) {
      const Member& m = doc.members[i];
      double idx = 0;
      if (arrayIndex(doc.str(m.keyOff), m.keyLen, &idx) && idx > last && (next == nullptr || idx < best)) {
        next = &m;
        best = idx;
      }
    }
    if (next == nullptr) break;
    last = best;
    if (!known(s, doc.str(next->keyOff), next->keyLen)) add(out, doc.str(next->keyOff), next->keyLen, "unknown field");
  }
  for (size_t i = 0; i < doc.count; ++i) {
    const Member& m = doc.members[i];
    double idx = 0;
    if (arrayIndex(doc.str(m.keyOff), m.keyLen, &idx)) continue;
    if (!known(s, doc.str(m.keyOff), m.keyLen)) add(out, doc.str(m.keyOff), m.keyLen, "unknown field");
  }
}

// The superRefine rules of messages.ts, in their order.
void refine(Kind kind, const Doc& doc, Verdict& out) {
  if (kind == Kind::Telemetry) {
    bool ok = strIs(doc, doc.find("sensor")->value, "ok");
    bool isNull = doc.find("tempC")->value.type == Type::Null;
    if (ok && isNull) add(out, "tempC", "must be a number when sensor is \"ok\"");
    if (!ok && !isNull) add(out, "tempC", "must be null when sensor is not \"ok\"");
  } else if (kind == Kind::Cmd) {
    bool press = strIs(doc, doc.find("op")->value, "press");
    bool hasExpect = doc.find("expect") != nullptr;
    if (press && !hasExpect) add(out, "expect", "is required when op is \"press\"");
    if (!press && hasExpect) add(out, "expect", "is not allowed when op is \"safe\"");
  } else if (kind == Kind::Ack) {
    if (!doc.find("ok")->value.boolean && doc.find("err") == nullptr) add(out, "err", "is required when ok is false");
  }
}

}  // namespace

void validate(Kind kind, const char* payload, size_t len, Doc& doc, Verdict& out) {
  out = Verdict{};
  doc.count = 0;
  if (len > json::kMaxInput) {
    out.code = Code::TooLarge;
    add(out, "(root)", "exceeds the 1024-byte limit");
    return;
  }
  if (!json::validUtf8(payload, len)) {
    out.code = Code::NotUtf8;
    add(out, "(root)", "payload is not valid UTF-8");
    return;
  }
  // parse.ts decodes MQTT bytes with TextDecoder, which drops one leading BOM (EF BB BF).
  if (len >= 3 && memcmp(payload, "\xEF\xBB\xBF", 3) == 0) {
    payload += 3;
    len -= 3;
  }
  json::Status st = json::parse(payload, len, doc);
  if (st == json::Status::DuplicateKey) {
    out.code = Code::DuplicateKey;
    add(out, doc.dupPath, doc.dupPathLen, "duplicate_key (appears more than once)");
    return;
  }
  if (st != json::Status::Object) {
    out.code = st == json::Status::NotObject ? Code::Invalid : Code::NotJson;
    add(out, "(root)", st == json::Status::NotObject ? "must be a JSON object" : "not valid JSON");
    return;
  }
  const Schema& s = schemaFor(kind);
  bool aborted = false;
  for (size_t i = 0; i < s.count; ++i) {
    if (!checkField(doc, s.fields[i], out)) aborted = true;
  }
  unknownKeys(doc, s, out);
  if (!aborted) refine(kind, doc, out);
  if (out.total > 0) out.code = Code::Invalid;
}

}  // namespace sv
