#include "led.h"

namespace sv {

LedCode ledCode(const LedInputs& in) {
  if (!in.provisioned) return LedCode::Setup;
  if (in.lastTrip != Trip::None) return LedCode::FailSafe;
  if (in.sensorFault) return LedCode::SensorFault;
  if (!in.wifi) return LedCode::WifiConnecting;
  if (!in.mqtt) return LedCode::MqttConnecting;
  return LedCode::Online;
}

bool ledOn(LedCode code, uint32_t nowMs) {
  uint32_t blinks = 0;
  switch (code) {
    case LedCode::Setup: return nowMs % 200 < 100;
    case LedCode::Online: return true;
    case LedCode::WifiConnecting: blinks = 1; break;
    case LedCode::MqttConnecting: blinks = 2; break;
    case LedCode::SensorFault: blinks = 3; break;
    case LedCode::FailSafe: blinks = 4; break;
  }
  uint32_t t = nowMs % 2000;  // each blink: 150 ms on, 250 ms off; then dark until the frame ends
  return t < blinks * 400 && t % 400 < 150;
}

}  // namespace sv
