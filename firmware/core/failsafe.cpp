#include "failsafe.h"

namespace sv {

const char* tripName(Trip t) {
  switch (t) {
    case Trip::None: return "none";
    case Trip::GatewaySilent: return "gateway-silent";
    case Trip::OverTemp: return "overtemp";
    case Trip::SensorFault: return "sensor-fault";
    case Trip::CrashReset: return "crash-reset";
    case Trip::OverTempRising: return "overtemp-rising";
    case Trip::DoubtCheck: return "doubt-check";
  }
  return "none";
}

void FailSafe::onReading(SensorState s, int16_t raw16) {
  if (s == SensorState::Ok) {
    faults_ = 0;
    haveOk_ = true;
    lastOkRaw_ = raw16;
    hot_ = false;
    return;
  }
  if (faults_ < 255) ++faults_;
  // A valid-CRC reading above the probe's range is hotter than any allowed maxC (≤ 110 °C):
  // act on it at once instead of waiting for three faults. Other faults keep the last verdict.
  if (s == SensorState::Range && raw16 > kRawMax) hot_ = true;
}

Trip FailSafe::check(bool heaterOn, uint32_t nowMs) const {
  if (!heaterOn) return Trip::None;
  if (overTemp()) return Trip::OverTemp;  // PROTOCOL: above maxC, at any time
  if (faults_ >= cfg_.faultReads) return Trip::SensorFault;
  if (nowMs - lastHeardMs_ >= cfg_.silenceMs) return Trip::GatewaySilent;  // wrap-safe
  return Trip::None;
}

const char* FailSafe::refuseHeat() const {
  if (overTemp()) return "overtemp";
  if (faults_ >= cfg_.faultReads) return "sensor-fault";
  return nullptr;
}

}  // namespace sv
