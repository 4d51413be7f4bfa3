// The kit's behaviour in one place, fed by the Arduino glue (src/main.cpp) with readings,
// MQTT events and the time, and read back for servo motions, acks and telemetry. Nothing here
// touches hardware or a clock, so the host tests drive it through every rule.
#pragma once
#include <cstddef>
#include <cstdint>

#include "failsafe.h"
#include "outbox.h"
#include "press.h"
#include "record.h"
#include "sensor.h"
#include "trend.h"

namespace sv {

struct KitConfig {
  SafetyConfig safety;
  PressTiming timing;
  uint32_t porWindowMs = 5000;
  // NVS "unsup" while the heater may be on (ADR 088): before the gateway was heard in this boot
  // (the silence of a reset loop) every 2 s; a gap after it was heard only from 10 s on and at
  // most once per 10 s (a flaky link must not wear the flash).
  uint32_t unsupervisedBootSaveMs = 2000;
  uint32_t unsupervisedSaveMs = 10000;
  uint32_t doubtMaxMs = 180000;             // in doubt at most 3 min, then the safer reading: on
  uint32_t correctivePressGapMs = 300000;   // at most one overtemp-rising press per 5 min
};

class Kit {
 public:
  explicit Kit(const KitConfig& c = KitConfig{}) : cfg_(c), safety_(c.safety), press_(c.timing), sensor_(c.porWindowMs) {}

  // What NVS held at boot (record, time already unsupervised) and why the chip restarted.
  void begin(const BootState& b, uint32_t nowMs);
  // Tests and the contract replay: a clean power-on with only a heater belief.
  void begin(uint32_t boot, bool heaterOn, uint32_t nowMs);

  // One finished conversion: classified, fed to the fail-safe and queued as telemetry.
  // `epochMs` is 0 without a synced clock; `rssi` > 0 means "unknown".
  SensorState onReading(const ProbeRead& r, uint32_t nowMs, uint64_t epochMs, int16_t rssi);
  // A payload on sv/<id>/cmd.
  void onCommand(const char* payload, size_t len, uint32_t nowMs, uint64_t epochMs);
  // PROTOCOL: any PUBACK proves the gateway is there; a telemetry one frees its slot.
  void onPuback(uint16_t packetId, uint32_t nowMs);
  void onDisconnect() { outbox_.disconnected(); }

  // Call every loop: fail-safe rules first, then the press scheduler.
  Step tick(uint32_t nowMs);
  bool popAck(Ack& a) { return press_.popAck(a); }

  bool heater() const { return press_.heater(); }
  bool inDoubt() const { return press_.doubt(); }
  // What to write to NVS when Step::saveRecord / Step::saveUnsupervised say so.
  KitRecord record() const;
  uint32_t unsupervisedMs() const { return unsupSaved_; }
  Trip lastTrip() const { return lastTrip_; }
  SensorState lastSensor() const { return lastSensor_; }
  uint32_t boot() const { return boot_; }
  Outbox& outbox() { return outbox_; }
  const FailSafe& safety() const { return safety_; }

 private:
  KitConfig cfg_;
  FailSafe safety_;
  PressScheduler press_;
  SensorClassifier sensor_;
  Outbox outbox_;
  void heard(uint32_t nowMs);
  void settleDoubt(bool on);

  json::Doc doc_;  // command parsing scratch (~8 KiB with the key stack, kept off the loop task's stack)
  uint32_t boot_ = 0;
  uint32_t seq_ = 0;
  Trip lastTrip_ = Trip::None;
  SensorState lastSensor_ = SensorState::Disconnected;
  BathTrend trend_;
  bool hasMaxC_ = false;       // maxC from an accepted command (persisted)
  bool recordDirty_ = false;   // maxC changed: write the record
  bool crashReset_ = false;    // booted after a crash believing on: press off at the first tick
  uint32_t unsupSaved_ = 0;    // the value NVS "unsup" holds (or is about to)
  bool unsupDirty_ = false;
  bool correctedOnce_ = false;
  uint32_t correctedMs_ = 0;   // the last overtemp-rising press
  // ADR 088: the doubt is settled within doubtMaxMs of boot; "on" from anything but a clear fall.
  uint32_t doubtSinceMs_ = 0;
  bool checkNextOff_ = false;  // the belief "on" came from the doubt: check the next off press
  bool checking_ = false;      // watching the bath after that press: a clear fall, or press again
  uint32_t checkSinceMs_ = 0;
  bool heardSinceBoot_ = false;
  KitRecord saved_ = {};       // what NVS holds (written or read at boot): an equal record is not written again
  bool haveSaved_ = false;
};

}  // namespace sv
