#include "ds18b20.h"

namespace sv {

uint8_t crc8(const uint8_t* data, size_t len) {
  uint8_t crc = 0;
  for (size_t i = 0; i < len; ++i) {
    uint8_t b = data[i];
    for (int bit = 0; bit < 8; ++bit) {
      bool mix = ((crc ^ b) & 1) != 0;
      crc = static_cast<uint8_t>(crc >> 1);
      if (mix) crc ^= 0x8C;
      b = static_cast<uint8_t>(b >> 1);
    }
  }
  return crc;
}

ProbeRead decodeScratchpad(bool present, const uint8_t sp[9]) {
  ProbeRead r;
  r.present = present;
  if (!present) return r;
  r.crcOk = crc8(sp, 8) == sp[8] && (sp[4] & 0x1F) == 0x1F;
  r.raw16 = static_cast<int16_t>(static_cast<uint16_t>(sp[1] << 8 | sp[0]));  // 12-bit: 1/16 °C
  return r;
}

}  // namespace sv
