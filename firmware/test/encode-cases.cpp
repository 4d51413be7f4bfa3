#include "encode-cases.h"

#include <cstdint>
#include <cstring>

#include "../core/messages.h"
#include "../core/sensor.h"

namespace {

using sv::SensorState;

void telemetry(const EncodeSink& sink, const std::string& name, const sv::Telemetry& t, long expectRaw) {
  char buf[256];
  size_t n = sv::encodeTelemetry(t, buf, sizeof buf);
  sink(sv::Kind::Telemetry, name, expectRaw, buf, n);
}

sv::Telemetry base() {
  sv::Telemetry t;
  t.boot = 7;
  t.seq = 1042;
  t.hasTs = true;
  t.ts = 1763798400123ULL;
  t.sensor = SensorState::Ok;
  t.heater = true;
  return t;
}

void sweep(const EncodeSink& sink) {
  for (int raw = sv::kRawMin; raw <= sv::kRawMax; ++raw) {  // every 0.0625 °C step
    sv::Telemetry t = base();
    t.raw16 = static_cast<int16_t>(raw);
    t.heater = raw % 2 == 0;
    t.hasRssi = raw % 3 != 0;
    t.rssi = static_cast<int16_t>(-(raw & 127));
    telemetry(sink, "step raw16=" + std::to_string(raw), t, raw);
  }
}

void edges(const EncodeSink& sink) {
  const SensorState faults[] = {SensorState::Disconnected, SensorState::Por, SensorState::Crc, SensorState::Range};
  for (SensorState s : faults) {
    sv::Telemetry t = base();
    t.sensor = s;
    t.raw16 = sv::kRawPowerOn;  // a value that must not leak into tempC
    telemetry(sink, std::string("fault ") + sv::sensorName(s), t, kNoTemp);
  }
  sv::Telemetry t = base();
  t.raw16 = 1761;  // "ok" but out of range: the encoder reports range, never an invalid tempC
  telemetry(sink, "ok above range", t, kNoTemp);
  t.raw16 = -161;
  telemetry(sink, "ok below range", t, kNoTemp);
  t = base();
  t.raw16 = 933;
  t.hasTs = false;
  telemetry(sink, "ts null (no synced clock)", t, 933);
  t.hasTs = true;
  t.ts = 0;
  telemetry(sink, "ts zero", t, 933);
  t.ts = 8640000000000000ULL;
  telemetry(sink, "ts max", t, 933);
  t.ts = 8640000000000001ULL;
  telemetry(sink, "ts beyond max becomes null", t, 933);
  t = base();
  t.boot = 0;
  t.seq = 0;
  telemetry(sink, "first message of the first boot", t, 0);
  t.boot = UINT32_MAX;
  t.seq = UINT32_MAX;
  telemetry(sink, "boot and seq at uint32 max", t, 0);
  const int rssis[] = {-127, -61, 0, 5, -128};
  for (int r : rssis) {
    t = base();
    t.hasRssi = true;
    t.rssi = static_cast<int16_t>(r);
    telemetry(sink, "rssi " + std::to_string(r), t, 0);
  }
}

void classified(const EncodeSink& sink) {
  struct Case {
    const char* name;
    sv::ProbeRead r;
    uint32_t atMs;
    long expect;
  };
  const Case cases[] = {
      {"classifier: probe absent", {false, false, 0}, 20000, kNoTemp},
      {"classifier: driver -127", {true, true, sv::kRawDisconnected}, 20000, kNoTemp},
      {"classifier: 85 right after boot", {true, true, sv::kRawPowerOn}, 800, kNoTemp},
      {"classifier: crc failure", {true, false, 900}, 20000, kNoTemp},
      {"classifier: above 110", {true, true, 1761}, 20000, kNoTemp},
      {"classifier: below -10", {true, true, -161}, 20000, kNoTemp},
      {"classifier: 85 long after boot", {true, true, sv::kRawPowerOn}, 60000, sv::kRawPowerOn},
      {"classifier: 0.0625", {true, true, 1}, 20000, 1},
      {"classifier: -0.0625", {true, true, -1}, 20000, -1},
  };
  for (const Case& c : cases) {
    sv::SensorClassifier cls;
    sv::Telemetry t = base();
    t.sensor = cls.classify(c.r, c.atMs);
    t.raw16 = c.r.raw16;
    telemetry(sink, c.name, t, c.expect);
  }
}

void statusAndAck(const EncodeSink& sink) {
  char buf[256];
  const char* fws[] = {"1.0.0", "12345678901234567890123456789012", "q\"b\\s", "caf\xC3\xA9",
                       "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", "tab\there"};
  for (const char* fw : fws) {
    for (bool online : {true, false}) {
      sv::Status s{online, 7, fw};
      size_t n = sv::encodeStatus(s, buf, sizeof buf);
      sink(sv::Kind::Status, std::string(online ? "online fw=" : "offline (last will) fw=") + fw, kNoTemp, buf, n);
    }
  }
  sv::Status s{true, UINT32_MAX, "1.0.0"};
  sink(sv::Kind::Status, "boot at uint32 max", kNoTemp, buf, sv::encodeStatus(s, buf, sizeof buf));
  struct A {
    const char* id;
    bool ok, heater;
    const char* err;
  };
  const A acks[] = {{"c-01J9Z3K7Q2", true, true, ""},   {"c_1", true, false, ""},  {"c-2", false, false, "expired"},
                    {"c-3", false, true, ""},             {"c-4", false, true, "invalid \"x\\"},
                    {"cccccccccccccccccccccccccccccccccccccccc", false, false, "busy"},
                    {"c-5", false, false, "0123456789012345678901234567890123456789012345678901234567890123"}};
  for (const A& a : acks) {
    sv::Ack k;
    strncpy(k.id, a.id, sv::kIdMax);
    k.ok = a.ok;
    k.heater = a.heater;
    strncpy(k.err, a.err, sv::kErrMax);
    sink(sv::Kind::Ack, std::string("ack ") + a.id + (a.ok ? " ok" : " refused"), kNoTemp, buf, sv::encodeAck(k, buf, sizeof buf));
  }
}

}  // namespace

void forEachEncodeCase(const EncodeSink& sink) {
  sweep(sink);
  edges(sink);
  classified(sink);
  statusAndAck(sink);
}
