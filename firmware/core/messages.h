// Protocol v1 messages as the device sees them (docs/protocol.md): the uplink ones it encodes
// (Telemetry, Status, Ack) and the Command it decodes. Every encoder output is accepted by
// the shared zod schema; the contract test (test/contract.test.ts) holds it to that.
#pragma once
#include <cstddef>
#include <cstdint>

#include "json.h"
#include "schema.h"

namespace sv {

// PROTOCOL: Telemetry.sensor.
enum class SensorState : uint8_t { Ok, Disconnected, Por, Crc, Range };
const char* sensorName(SensorState s);

// DS18B20 12-bit readings are counts of 1/16 °C; keeping them as integers makes the encoded
// tempC exact (54.0625, never 54.062500001).
constexpr int16_t kRawPerDegree = 16;
constexpr int16_t kRawMin = -10 * kRawPerDegree;  // TEMP_MIN_C
constexpr int16_t kRawMax = 110 * kRawPerDegree;  // TEMP_MAX_C

struct Telemetry {
  uint32_t boot = 0;
  uint32_t seq = 0;
  bool hasTs = false;  // false: no synced clock, encoded as "ts":null
  uint64_t ts = 0;     // epoch ms
  SensorState sensor = SensorState::Disconnected;
  int16_t raw16 = 0;  // tempC × 16, used only when sensor is Ok
  bool heater = false;
  bool hasRssi = false;
  int16_t rssi = 0;  // dBm; omitted unless -127…0
};

struct Status {
  bool online = true;
  uint32_t boot = 0;
  const char* fw = "";  // 1…32 characters
};

constexpr size_t kIdMax = 40;
constexpr size_t kErrMax = 64;

struct Ack {
  char id[kIdMax + 1] = {};
  bool ok = true;
  bool heater = false;
  char err[kErrMax + 1] = {};  // required when !ok (the encoder fills "refused" if empty)
};

enum class Op : uint8_t { Press, Safe };
enum class Expect : uint8_t { None, On, Off };

struct Command {
  char id[kIdMax + 1] = {};  // also set when only other fields are invalid (to refuse by ack)
  Op op = Op::Safe;
  Expect expect = Expect::None;
  uint32_t ttlMs = 0;
  bool hasSentTs = false;
  uint64_t sentTs = 0;
  bool hasMaxC = false;
  double maxC = 0;
};

// Each encoder writes a NUL-terminated payload into `out` and returns its length, or 0 when
// `cap` is too small or the input cannot be encoded as a valid message.
size_t encodeTelemetry(const Telemetry& t, char* out, size_t cap);
size_t encodeStatus(const Status& s, char* out, size_t cap);
size_t encodeAck(const Ack& a, char* out, size_t cap);

// Strict decode (unknown fields, types, ranges, refinements: see schema.h). On false, `v`
// names the fields and `out.id` holds the command id if that field alone was usable.
bool decodeCommand(const char* payload, size_t len, Command& out, Verdict& v, json::Doc& doc);

// Command-id rule of messages.ts: 1…40 of [A-Za-z0-9_-].
bool validCommandId(const char* s, size_t len);

}  // namespace sv
