#pragma once
#include "Arduino.h"
// Arduino-ESP32 2.0.x: both timeouts in seconds.
class WiFiClientSecure {
 public:
  void setHandshakeTimeout(unsigned long handshake_timeout);
  int setTimeout(uint32_t seconds);
};
