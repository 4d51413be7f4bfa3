// Status LED blink codes (README "LED"). Highest priority first: the LED shows the most
// urgent condition only.
#pragma once
#include <cstdint>

#include "failsafe.h"

namespace sv {

enum class LedCode : uint8_t {
  Setup,           // fast flicker (5 Hz): not provisioned, serial console waiting
  FailSafe,        // 4 blinks: the kit pressed the heater off on its own (until the next command)
  SensorFault,     // 3 blinks: the last reading was not "ok"
  WifiConnecting,  // 1 blink: joining Wi-Fi
  MqttConnecting,  // 2 blinks: Wi-Fi up, connecting to the gateway (TLS, MQTT)
  Online,          // steady on: connected, probe ok
};

struct LedInputs {
  bool provisioned;
  bool wifi;
  bool mqtt;
  Trip lastTrip;
  bool sensorFault;
};

LedCode ledCode(const LedInputs& in);
// Whether the LED is lit at `nowMs` for `code`: N blinks of 150 ms in a 2 s frame.
bool ledOn(LedCode code, uint32_t nowMs);

}  // namespace sv
