#include "kit.h"

#include <cstring>


namespace sv {

void Kit::begin(uint32_t boot, bool heaterOn, uint32_t nowMs) {
  boot_ = boot;
  seq_ = 0;  // PROTOCOL: seq counts within a boot
  press_.restoreHeater(heaterOn);
  safety_.begin(nowMs);
}

SensorState Kit::onReading(const ProbeRead& r, uint32_t nowMs, uint64_t epochMs, int16_t rssi) {
  SensorState s = sensor_.classify(r, nowMs);
  safety_.onReading(s, r.raw16);
  lastSensor_ = s;
  Telemetry t;
  t.boot = boot_;
  t.seq = seq_++;
  t.hasTs = epochMs != 0;
  t.ts = epochMs;
  t.sensor = s;
  t.raw16 = r.raw16;
  t.heater = press_.heater();
  t.hasRssi = rssi <= 0;
  t.rssi = rssi;
  outbox_.push(t);
  return s;
}

void Kit::onCommand(const char* payload, size_t len, uint32_t nowMs, uint64_t epochMs) {
  safety_.heardFromGateway(nowMs);
  Command c;
  Verdict v;
  if (!decodeCommand(payload, len, c, v, doc_)) {
    // One ack per command, even a malformed one, as long as it names itself.
    if (c.id[0] != '\0') {
      char err[kErrMax + 1] = {};
      const char* what = v.code == Code::DuplicateKey ? "duplicate " : "invalid ";
      size_t n = strlen(what);
      memcpy(err, what, n);
      const Issue& first = v.issues[0];
      for (size_t i = 0; i < first.fieldLen && n < 48; ++i) {  // an unknown key may be anything
        char ch = first.field[i];
        err[n++] = (ch > ' ' && ch < 0x7F && ch != '"' && ch != '\\') ? ch : '?';
      }
      err[n] = '\0';
      press_.reject(c.id, err);
    }
    return;
  }
  lastTrip_ = Trip::None;  // the gateway is in charge again
  bool stale = c.hasSentTs && epochMs > c.sentTs && epochMs - c.sentTs > c.ttlMs;
  if (c.hasMaxC && !stale) safety_.setMaxC(c.maxC);
  press_.submit(c, nowMs, epochMs, safety_.refuseHeat());
}

void Kit::onPuback(uint16_t packetId, uint32_t nowMs) {
  safety_.heardFromGateway(nowMs);
  outbox_.acked(packetId);
}

Step Kit::tick(uint32_t nowMs) {
  Trip trip = safety_.check(press_.heater(), nowMs);
  if (trip != Trip::None && press_.requestOff()) lastTrip_ = trip;
  return press_.tick(nowMs, safety_.refuseHeat());
}

}  // namespace sv
