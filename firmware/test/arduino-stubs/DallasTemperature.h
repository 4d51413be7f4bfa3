#pragma once
#include "OneWire.h"
typedef uint8_t DeviceAddress[8];
class DallasTemperature {
 public:
  explicit DallasTemperature(OneWire*);
  void begin();
  void setWaitForConversion(bool);
  bool getAddress(uint8_t* deviceAddress, uint8_t index);
  bool setResolution(const uint8_t* deviceAddress, uint8_t newResolution, bool skipGlobalBitResolutionCalculation = false);
  bool requestTemperaturesByAddress(const uint8_t* deviceAddress);
  bool readScratchPad(const uint8_t* deviceAddress, uint8_t* scratchPad);
};
