// DS18B20 on 1-Wire, 12-bit, non-blocking: request() starts a conversion and returns at once;
// read() comes 750 ms later. The raw scratchpad goes to the core (core/ds18b20) for CRC and
// classification, because DallasTemperature reports a CRC failure as -127 like a lost probe.
#pragma once
#include <DallasTemperature.h>
#include <OneWire.h>

#include "config.h"
#include "ds18b20.h"

class Probe {
 public:
  Probe() : wire_(cfg::kPinOneWire), dallas_(&wire_) {}

  void begin() {
    dallas_.begin();
    dallas_.setWaitForConversion(false);  // never block the loop (servo timing, watchdog)
    find();
  }
  bool converting() const { return converting_; }
  void request(uint32_t nowMs) {
    if (!found_) find();  // a re-plugged probe is picked up here
    if (found_) dallas_.requestTemperaturesByAddress(addr_);
    requestedMs_ = nowMs;
    converting_ = true;
  }
  bool ready(uint32_t nowMs) const { return converting_ && nowMs - requestedMs_ >= cfg::kConversionMs; }
  sv::ProbeRead read() {
    converting_ = false;
    uint8_t sp[9] = {};
    bool present = found_ && dallas_.readScratchPad(addr_, sp);
    if (!present) found_ = false;
    return sv::decodeScratchpad(present, sp);
  }

 private:
  void find() {
    found_ = dallas_.getAddress(addr_, 0);
    if (found_) dallas_.setResolution(addr_, 12);  // 1/16 °C, 750 ms per conversion
  }

  OneWire wire_;
  DallasTemperature dallas_;
  DeviceAddress addr_ = {};
  bool found_ = false;
  bool converting_ = false;
  uint32_t requestedMs_ = 0;
};
