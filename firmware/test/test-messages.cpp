// Encoders: exact bytes for the protocol examples and the edge cases.
#include <cstring>
#include <string>

#include "../core/messages.h"
#include "runner.h"

namespace {

std::string tel(const sv::Telemetry& t) {
  char buf[256];
  size_t n = sv::encodeTelemetry(t, buf, sizeof buf);
  return std::string(buf, n);
}

sv::Telemetry example() {
  sv::Telemetry t;
  t.boot = 7;
  t.seq = 1042;
  t.hasTs = true;
  t.ts = 1763798400123ULL;
  t.sensor = sv::SensorState::Ok;
  t.raw16 = 933;  // 58.3125 °C
  t.heater = true;
  t.hasRssi = true;
  t.rssi = -61;
  return t;
}

}  // namespace

TEST(encode_telemetry_matches_the_protocol_shape) {
  CHECK_STR(tel(example()),
            R"({"v":1,"boot":7,"seq":1042,"ts":1763798400123,"tempC":58.3125,"sensor":"ok","heater":true,"rssi":-61})");
}

TEST(encode_telemetry_writes_sixteenths_exactly) {
  sv::Telemetry t = example();
  t.hasRssi = false;
  const int raws[] = {0, 1, -1, 8, -8, 865, -160, 1760, 15, 1599};
  const char* want[] = {"0", "0.0625", "-0.0625", "0.5", "-0.5", "54.0625", "-10", "110", "0.9375", "99.9375"};
  for (size_t i = 0; i < sizeof raws / sizeof raws[0]; ++i) {
    t.raw16 = static_cast<int16_t>(raws[i]);
    CHECK_STR(tel(t), std::string(R"({"v":1,"boot":7,"seq":1042,"ts":1763798400123,"tempC":)") + want[i] +
                          R"(,"sensor":"ok","heater":true})");
  }
}

TEST(encode_telemetry_faults_carry_null_tempC) {
  sv::Telemetry t = example();
  t.hasTs = false;
  t.hasRssi = false;
  t.heater = false;
  t.sensor = sv::SensorState::Crc;
  CHECK_STR(tel(t), R"({"v":1,"boot":7,"seq":1042,"ts":null,"tempC":null,"sensor":"crc","heater":false})");
  t.sensor = sv::SensorState::Ok;
  t.raw16 = 1761;  // out of range but labelled ok: the encoder corrects it
  CHECK_STR(tel(t), R"({"v":1,"boot":7,"seq":1042,"ts":null,"tempC":null,"sensor":"range","heater":false})");
}

TEST(encode_telemetry_omits_invalid_rssi_and_refuses_small_buffers) {
  sv::Telemetry t = example();
  t.rssi = 3;
  CHECK(tel(t).find("rssi") == std::string::npos);
  t.rssi = -128;
  CHECK(tel(t).find("rssi") == std::string::npos);
  char small[40];
  CHECK_EQ(sv::encodeTelemetry(example(), small, sizeof small), 0);
}

TEST(encode_status_and_last_will) {
  char buf[128];
  sv::Status s{true, 7, "1.0.0"};
  CHECK_STR(std::string(buf, sv::encodeStatus(s, buf, sizeof buf)), R"({"v":1,"state":"online","boot":7,"fw":"1.0.0","profile":"toggle"})");
  s.online = false;
  CHECK_STR(std::string(buf, sv::encodeStatus(s, buf, sizeof buf)), R"({"v":1,"state":"offline","boot":7,"fw":"1.0.0","profile":"toggle"})");
  s.fw = "";
  CHECK_EQ(sv::encodeStatus(s, buf, sizeof buf), 0);
  s.fw = "123456789012345678901234567890123";  // 33 characters
  CHECK_EQ(sv::encodeStatus(s, buf, sizeof buf), 0);
}

TEST(encode_ack_requires_a_reason_for_refusals) {
  char buf[160];
  sv::Ack a;
  strcpy(a.id, "c-01J9Z3K7Q2");
  a.ok = true;
  a.heater = true;
  CHECK_STR(std::string(buf, sv::encodeAck(a, buf, sizeof buf)), R"({"v":1,"id":"c-01J9Z3K7Q2","ok":true,"heater":true})");
  a.ok = false;
  a.heater = false;
  CHECK_STR(std::string(buf, sv::encodeAck(a, buf, sizeof buf)), R"({"v":1,"id":"c-01J9Z3K7Q2","ok":false,"heater":false,"err":"refused"})");
  strcpy(a.err, "expired");
  CHECK_STR(std::string(buf, sv::encodeAck(a, buf, sizeof buf)), R"({"v":1,"id":"c-01J9Z3K7Q2","ok":false,"heater":false,"err":"expired"})");
  strcpy(a.id, "c/1");
  CHECK_EQ(sv::encodeAck(a, buf, sizeof buf), 0);
}
