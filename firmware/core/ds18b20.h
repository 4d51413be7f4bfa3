// DS18B20 scratchpad decoding, kept out of the Arduino layer so it is host-tested: the
// DallasTemperature library folds CRC failures into -127 °C, and the protocol needs them apart.
#pragma once
#include <cstddef>
#include <cstdint>

#include "sensor.h"

namespace sv {

// Dallas/Maxim 1-Wire CRC8 (x^8 + x^5 + x^4 + 1, reflected).
uint8_t crc8(const uint8_t* data, size_t len);

// `present`: the bus reset saw a presence pulse. `sp`: the 9 scratchpad bytes read after it.
// A valid CRC is not enough: a data line shorted to ground reads all zeros, whose CRC is also
// zero, so the configuration register (byte 4, low five bits always 1) must look right too.
ProbeRead decodeScratchpad(bool present, const uint8_t sp[9]);

}  // namespace sv
