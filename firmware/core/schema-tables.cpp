#include <cstring>

#include "schema-tables.h"

namespace sv {
namespace {

const char* const kSensor[] = {"ok", "disconnected", "por", "crc", "range", nullptr};
const char* const kState[] = {"online", "offline", nullptr};
const char* const kProfile[] = {"toggle", nullptr};
const char* const kOp[] = {"press", "safe", nullptr};
const char* const kExpect[] = {"on", "off", nullptr};

constexpr bool kReq = false, kOpt = true, kNull = true, kNoNull = false;

const Field kTelemetry[] = {
    {"v", F::One, kReq, kNoNull, 0, 0, nullptr, false},
    {"boot", F::Int, kReq, kNoNull, 0, kMaxSafeInt, nullptr, false},
    {"seq", F::Int, kReq, kNoNull, 0, kMaxSafeInt, nullptr, false},
    {"ts", F::Int, kReq, kNull, 0, kMaxEpochMs, nullptr, false},
    {"tempC", F::Num, kReq, kNull, -10, 110, nullptr, false},  // TEMP_MIN_C…TEMP_MAX_C
    {"sensor", F::Enum, kReq, kNoNull, 0, 0, kSensor, false},
    {"heater", F::Bool, kReq, kNoNull, 0, 0, nullptr, false},
    {"rssi", F::Int, kOpt, kNoNull, -127, 0, nullptr, false},
};

const Field kStatus[] = {
    {"v", F::One, kReq, kNoNull, 0, 0, nullptr, false},
    {"state", F::Enum, kReq, kNoNull, 0, 0, kState, false},
    {"boot", F::Int, kReq, kNoNull, 0, kMaxSafeInt, nullptr, false},
    {"fw", F::Str, kReq, kNoNull, 1, 32, nullptr, false},
    {"profile", F::Enum, kReq, kNoNull, 0, 0, kProfile, false},
};

const Field kCmd[] = {
    {"v", F::One, kReq, kNoNull, 0, 0, nullptr, false},
    {"id", F::Str, kReq, kNoNull, 1, 40, nullptr, true},
    {"op", F::Enum, kReq, kNoNull, 0, 0, kOp, false},
    {"expect", F::Enum, kOpt, kNoNull, 0, 0, kExpect, false},
    {"ttlMs", F::Int, kReq, kNoNull, 100, 600000, nullptr, false},
    {"sentTs", F::Int, kOpt, kNoNull, 0, kMaxEpochMs, nullptr, false},
    {"maxC", F::Num, kOpt, kNoNull, 20, 110, nullptr, false},
};

const Field kAck[] = {
    {"v", F::One, kReq, kNoNull, 0, 0, nullptr, false},
    {"id", F::Str, kReq, kNoNull, 1, 40, nullptr, true},
    {"ok", F::Bool, kReq, kNoNull, 0, 0, nullptr, false},
    {"heater", F::Bool, kReq, kNoNull, 0, 0, nullptr, false},
    {"err", F::Str, kOpt, kNoNull, 1, 64, nullptr, false},
};

template <size_t N>
constexpr Schema of(const Field (&f)[N]) {
  return Schema{f, N};
}

const Schema kSchemas[] = {of(kTelemetry), of(kStatus), of(kCmd), of(kAck)};

}  // namespace

const Schema& schemaFor(Kind kind) { return kSchemas[static_cast<size_t>(kind)]; }

bool kindFromName(const char* name, Kind* out) {
  static const char* const kNames[] = {"telemetry", "status", "cmd", "ack"};
  for (size_t i = 0; i < 4; ++i) {
    if (strcmp(name, kNames[i]) == 0) {
      *out = static_cast<Kind>(i);
      return true;
    }
  }
  return false;
}

const char* codeName(Code code) {
  switch (code) {
    case Code::Ok: return "OK";
    case Code::TooLarge: return "SV_ERR_PAYLOAD_TOO_LARGE";
    case Code::NotUtf8: return "SV_ERR_PAYLOAD_NOT_UTF8";
    case Code::NotJson: return "SV_ERR_PAYLOAD_NOT_JSON";
    case Code::DuplicateKey: return "SV_ERR_PAYLOAD_DUPLICATE_KEY";
    case Code::Invalid: return "SV_ERR_PAYLOAD_INVALID";
  }
  return "?";
}

}  // namespace sv
