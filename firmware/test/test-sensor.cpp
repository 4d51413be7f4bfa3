// Every sensor class of docs/protocol.md (Telemetry.sensor), and the boundaries between them.
#include "../core/ds18b20.h"
#include "../core/sensor.h"
#include "runner.h"

using sv::ProbeRead;
using sv::SensorState;

namespace {
ProbeRead read(int16_t raw, bool crcOk = true, bool present = true) { return ProbeRead{present, crcOk, raw}; }
}  // namespace

TEST(sensor_ok_inside_the_range_including_its_limits) {
  sv::SensorClassifier c;
  CHECK(c.classify(read(933), 20000) == SensorState::Ok);
  CHECK(c.classify(read(sv::kRawMin), 20000) == SensorState::Ok);  // -10 °C
  CHECK(c.classify(read(sv::kRawMax), 20000) == SensorState::Ok);  // 110 °C
  CHECK(c.classify(read(1), 20000) == SensorState::Ok);             // 0.0625 °C
}

TEST(sensor_disconnected_no_presence_or_driver_minus_127) {
  sv::SensorClassifier c;
  CHECK(c.classify(read(0, false, false), 20000) == SensorState::Disconnected);
  CHECK(c.classify(read(sv::kRawDisconnected), 20000) == SensorState::Disconnected);
}

TEST(sensor_por_85_right_after_boot_only) {
  sv::SensorClassifier c(5000);
  CHECK(c.classify(read(sv::kRawPowerOn), 750) == SensorState::Por);
  CHECK(c.classify(read(sv::kRawPowerOn), 4999) == SensorState::Por);
  CHECK(c.classify(read(sv::kRawPowerOn), 5000) == SensorState::Ok);  // a real 85 °C bath later on
  CHECK(c.classify(read(sv::kRawPowerOn + 1), 100) == SensorState::Ok);  // 85.0625 is a conversion
}

TEST(sensor_por_again_after_the_probe_is_replugged) {
  sv::SensorClassifier c(5000);
  CHECK(c.classify(read(900), 60000) == SensorState::Ok);
  CHECK(c.classify(read(0, false, false), 61000) == SensorState::Disconnected);
  CHECK(c.classify(read(sv::kRawPowerOn), 62000) == SensorState::Por);
  CHECK(c.classify(read(sv::kRawPowerOn), 67000) == SensorState::Ok);
}

TEST(sensor_crc_failure_wins_over_the_value) {
  sv::SensorClassifier c;
  CHECK(c.classify(read(933, false), 20000) == SensorState::Crc);
  CHECK(c.classify(read(sv::kRawPowerOn, false), 100) == SensorState::Crc);
  CHECK(c.classify(read(sv::kRawDisconnected, false), 20000) == SensorState::Crc);  // garbage, not -127
}

TEST(sensor_range_outside_minus10_to_110) {
  sv::SensorClassifier c;
  CHECK(c.classify(read(sv::kRawMin - 1), 20000) == SensorState::Range);
  CHECK(c.classify(read(sv::kRawMax + 1), 20000) == SensorState::Range);
  CHECK(c.classify(read(125 * 16), 20000) == SensorState::Range);
  CHECK(c.classify(read(-55 * 16), 20000) == SensorState::Range);
}

TEST(sensor_classifier_survives_millis_wraparound) {
  sv::SensorClassifier c(5000);
  CHECK(c.classify(read(0, false, false), 0xFFFFF000u) == SensorState::Disconnected);
  CHECK(c.classify(read(sv::kRawPowerOn), 0xFFFFF800u) == SensorState::Por);
  CHECK(c.classify(read(sv::kRawPowerOn), 0x00000200u) == SensorState::Por);  // 2.5 s later, wrapped
  CHECK(c.classify(read(sv::kRawPowerOn), 0x00001000u) == SensorState::Ok);
}

TEST(ds18b20_scratchpad_crc_and_decoding) {
  // The datasheet's power-on scratchpad: 85 °C, CRC 0x1C.
  const uint8_t por[9] = {0x50, 0x05, 0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10, 0x1C};
  CHECK_EQ(sv::crc8(por, 8), 0x1C);
  ProbeRead r = sv::decodeScratchpad(true, por);
  CHECK(r.present && r.crcOk && r.raw16 == sv::kRawPowerOn);
  uint8_t neg[9] = {0x5E, 0xFF, 0x4B, 0x46, 0x7F, 0xFF, 0x02, 0x10, 0};  // -10.125 °C
  neg[8] = sv::crc8(neg, 8);
  r = sv::decodeScratchpad(true, neg);
  CHECK(r.crcOk && r.raw16 == -162);
  neg[0] ^= 1;  // one flipped bit
  CHECK(!sv::decodeScratchpad(true, neg).crcOk);
  const uint8_t zeros[9] = {};  // shorted data line: CRC "matches", config byte does not
  CHECK(!sv::decodeScratchpad(true, zeros).crcOk);
  CHECK(!sv::decodeScratchpad(false, por).present);
}
