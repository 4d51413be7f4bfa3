#include "sensor.h"

namespace sv {

SensorState SensorClassifier::classify(const ProbeRead& r, uint32_t nowMs) {
  // Order matters: a missing probe has no meaningful CRC, and a bad CRC no meaningful value.
  if (!r.present || (r.crcOk && r.raw16 == kRawDisconnected)) {
    absent_ = true;
    return SensorState::Disconnected;
  }
  if (absent_) {  // re-plugged probe: it powers up again and shows 85 °C until it converts
    absent_ = false;
    presentSinceMs_ = nowMs;
  }
  if (!r.crcOk) return SensorState::Crc;
  if (r.raw16 == kRawPowerOn && nowMs - presentSinceMs_ < porWindowMs_) return SensorState::Por;
  if (r.raw16 < kRawMin || r.raw16 > kRawMax) return SensorState::Range;
  return SensorState::Ok;
}

}  // namespace sv
