// DS18B20 reading classification (docs/protocol.md, Telemetry.sensor). The glue reads the raw
// scratchpad itself so that a checksum failure is told apart from a missing probe (the
// DallasTemperature library reports both as -127 °C).
#pragma once
#include <cstdint>

#include "messages.h"

namespace sv {

struct ProbeRead {
  bool present = false;  // the probe answered the 1-Wire reset (presence pulse)
  bool crcOk = false;    // scratchpad CRC8 matched
  int16_t raw16 = 0;     // temperature register, 1/16 °C (12-bit resolution)
};

constexpr int16_t kRawDisconnected = -127 * kRawPerDegree;  // the driver's DEVICE_DISCONNECTED_C
constexpr int16_t kRawPowerOn = 85 * kRawPerDegree;         // scratchpad reset value (0x0550)

class SensorClassifier {
 public:
  // A probe reporting exactly 85 °C within `porWindowMs` of boot or of coming back is
  // reporting its power-on value, not the bath: no conversion has completed yet.
  explicit SensorClassifier(uint32_t porWindowMs = 5000) : porWindowMs_(porWindowMs) {}

  // `nowMs`: milliseconds since boot (wrap-safe arithmetic, millis() wraps after 49 days).
  SensorState classify(const ProbeRead& r, uint32_t nowMs);

 private:
  uint32_t porWindowMs_;
  uint32_t presentSinceMs_ = 0;  // boot counts as the probe appearing
  bool absent_ = false;
};

}  // namespace sv
