// Device-side safety (docs/protocol.md "Device-side safety"): the rules the kit enforces on its
// own, whatever the gateway does. Pure decisions; the press itself goes through the scheduler.
#pragma once
#include <cstdint>

#include "messages.h"

namespace sv {

// CrashReset: booted believing the heater on after a watchdog/panic/brownout reset (ADR 086).
// OverTempRising: above maxC and still rising while believed off: the belief is wrong (ADR 086).
// DoubtCheck: an off press made on the doubt's reading "on" was not followed by a clear fall of
// the bath: that press turned the heater on, press once more (ADR 088).
enum class Trip : uint8_t { None, GatewaySilent, OverTemp, SensorFault, CrashReset, OverTempRising, DoubtCheck };
const char* tripName(Trip t);

struct SafetyConfig {
  uint32_t silenceMs = 30000;  // PROTOCOL: nothing heard for 30 s while heating → off
  uint8_t faultReads = 3;      // PROTOCOL: 3 consecutive sensor faults while heating → off
  double defaultMaxC = 90;     // PROTOCOL: Command.maxC default
};

class FailSafe {
 public:
  explicit FailSafe(SafetyConfig c = SafetyConfig{}) : cfg_(c), maxC_(c.defaultMaxC) {}

  // Boot counts as the last contact, minus the time without the gateway already counted before
  // the reset (NVS "unsup", ADR 086): a kit that resets again and again (a connect that blocks
  // past the watchdog) does not get a fresh silence window at every boot.
  void begin(uint32_t nowMs, uint32_t alreadyUnsupervisedMs = 0) {
    lastHeardMs_ = nowMs - (alreadyUnsupervisedMs < cfg_.silenceMs ? alreadyUnsupervisedMs : cfg_.silenceMs);
  }
  // How long nothing was heard from the gateway (across resets), capped at the silence window.
  uint32_t unsupervisedMs(uint32_t nowMs) const {
    uint32_t u = nowMs - lastHeardMs_;
    return u < cfg_.silenceMs ? u : cfg_.silenceMs;
  }
  uint32_t silenceMs() const { return cfg_.silenceMs; }
  // PROTOCOL: hearing from the gateway means a PUBACK or a command.
  void heardFromGateway(uint32_t nowMs) { lastHeardMs_ = nowMs; }
  void onReading(SensorState s, int16_t raw16);
  // Command.maxC (20…110, validated by the schema) replaces the limit; the kit keeps it in NVS.
  void setMaxC(double c) { maxC_ = c; }
  double maxC() const { return maxC_; }

  // The rule that requires pressing the heater off now, if any. Only meaningful while the
  // heater is believed on: with the toggle profile a press while off would turn it on.
  Trip check(bool heaterOn, uint32_t nowMs) const;
  // Why turning the heater on must be refused right now ("overtemp", "sensor-fault"), or nullptr.
  const char* refuseHeat() const;

  uint8_t consecutiveFaults() const { return faults_; }
  // Above maxC by the last good reading, or above the probe's range (see onReading).
  bool overTemp() const { return hot_ || (haveOk_ && lastOkRaw_ > maxC_ * kRawPerDegree); }

 private:
  SafetyConfig cfg_;
  double maxC_;
  uint32_t lastHeardMs_ = 0;
  uint8_t faults_ = 0;
  bool haveOk_ = false;
  int16_t lastOkRaw_ = 0;
  bool hot_ = false;  // a valid-CRC reading above 110 °C since the last good one
};

}  // namespace sv
