// Pins, mechanics and timing of the kit (README "Wiring"). Everything here is hardware;
// behaviour lives in ../core.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifndef SV_FW_VERSION
#define SV_FW_VERSION "1.0.0"
#endif

namespace cfg {

constexpr int kPinOneWire = 4;  // DS18B20 DQ (4.7 kΩ pull-up to 3V3)
constexpr int kPinServo = 13;   // SG90 signal (orange wire)
constexpr int kPinLed = 2;      // on-board blue LED of the ESP32 DevKit

// Servo horn angles: at rest clear of the button, pressed just far enough to click it.
// Tune to the mount; too far stalls the servo against the cooker (heat, current).
constexpr int kServoRestDeg = 20;
constexpr int kServoPressDeg = 65;
constexpr uint32_t kServoReturnMs = 300;  // core PressTiming::returnMs
constexpr int kServoMinUs = 500;   // SG90 pulse range
constexpr int kServoMaxUs = 2400;

constexpr uint32_t kConversionMs = 750;      // DS18B20 at 12 bits
constexpr uint32_t kReadPeriodMs = 1000;     // PROTOCOL: telemetry about 1 Hz
constexpr uint32_t kWatchdogS = 8;           // the loop task only; MQTT/TLS runs in its own task
constexpr uint32_t kTcpConnectS = 5;         // TCP connect timeout of the MQTT transport
constexpr uint32_t kTlsHandshakeS = 5;       // TLS handshake timeout (the library default is 120 s)
constexpr uint16_t kKeepAliveS = 30;         // PROTOCOL: keepalive 30 s recommended
constexpr uint16_t kDefaultPort = 8883;      // PROTOCOL: MQTT over TLS
constexpr size_t kMaxInFlight = 8;           // telemetry publishes awaiting PUBACK

}  // namespace cfg
