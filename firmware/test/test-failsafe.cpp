// Device-side safety rules (docs/protocol.md): each rule trips, and only when it should.
#include "../core/failsafe.h"
#include "runner.h"

using sv::FailSafe;
using sv::SensorState;
using sv::Trip;

TEST(failsafe_silence_30s_with_heater_on_trips) {
  FailSafe f;
  f.begin(1000);
  CHECK(f.check(true, 30999) == Trip::None);
  CHECK(f.check(true, 31000) == Trip::GatewaySilent);
  CHECK(f.check(false, 90000) == Trip::None);  // heater believed off: nothing to do
}

TEST(failsafe_puback_or_command_resets_the_silence_clock) {
  FailSafe f;
  f.begin(0);
  f.heardFromGateway(25000);
  CHECK(f.check(true, 54999) == Trip::None);
  CHECK(f.check(true, 55000) == Trip::GatewaySilent);
}

TEST(failsafe_silence_is_wraparound_safe) {
  FailSafe f;
  f.begin(0xFFFFF000u);
  CHECK(f.check(true, 0x00001000u) == Trip::None);  // 8 s later
  CHECK(f.check(true, 0xFFFFF000u + 30000u) == Trip::GatewaySilent);
}

TEST(failsafe_above_maxC_trips_at_any_time) {
  FailSafe f;
  f.begin(0);
  f.onReading(SensorState::Ok, 90 * 16);
  CHECK(f.check(true, 1000) == Trip::None);  // at the limit is not above it
  f.onReading(SensorState::Ok, 90 * 16 + 1);
  CHECK(f.check(true, 1000) == Trip::OverTemp);
  CHECK(f.overTemp());
  CHECK_STR(f.refuseHeat(), "overtemp");
  f.onReading(SensorState::Ok, 60 * 16);
  CHECK(f.check(true, 1000) == Trip::None);
  CHECK(f.refuseHeat() == nullptr);
}

TEST(failsafe_command_maxC_replaces_the_default) {
  FailSafe f;
  f.begin(0);
  f.onReading(SensorState::Ok, 70 * 16);
  CHECK(f.check(true, 10) == Trip::None);
  f.setMaxC(65);
  CHECK(f.check(true, 10) == Trip::OverTemp);  // applies to the last reading at once
  CHECK(f.maxC() == 65);
}

TEST(failsafe_reading_above_110_trips_without_waiting_for_three) {
  FailSafe f;
  f.begin(0);
  f.onReading(SensorState::Range, 115 * 16);
  CHECK(f.check(true, 10) == Trip::OverTemp);
  f.onReading(SensorState::Ok, 50 * 16);
  CHECK(f.check(true, 10) == Trip::None);
  f.onReading(SensorState::Range, -20 * 16);  // too cold is a plain fault
  CHECK(f.check(true, 10) == Trip::None);
}

TEST(failsafe_three_consecutive_faults_with_heater_on_trip) {
  const SensorState faults[] = {SensorState::Disconnected, SensorState::Por, SensorState::Crc, SensorState::Range};
  for (SensorState s : faults) {
    FailSafe f;
    f.begin(0);
    f.onReading(s, 0);
    f.onReading(s, 0);
    CHECK(f.check(true, 10) == Trip::None);
    CHECK(f.refuseHeat() == nullptr);
    f.onReading(s, 0);
    CHECK(f.check(true, 10) == Trip::SensorFault);
    CHECK_STR(f.refuseHeat(), "sensor-fault");
    CHECK(f.check(false, 10) == Trip::None);
  }
}

TEST(failsafe_a_good_reading_resets_the_fault_count) {
  FailSafe f;
  f.begin(0);
  f.onReading(SensorState::Crc, 0);
  f.onReading(SensorState::Disconnected, 0);
  f.onReading(SensorState::Ok, 800);
  f.onReading(SensorState::Crc, 0);
  f.onReading(SensorState::Crc, 0);
  CHECK_EQ(f.consecutiveFaults(), 2);
  CHECK(f.check(true, 10) == Trip::None);
}

TEST(failsafe_priority_overtemp_then_sensor_then_silence) {
  FailSafe f;
  f.begin(0);
  f.onReading(SensorState::Ok, 95 * 16);
  f.onReading(SensorState::Crc, 0);
  f.onReading(SensorState::Crc, 0);
  f.onReading(SensorState::Crc, 0);
  CHECK(f.check(true, 60000) == Trip::OverTemp);  // the last good reading was too hot
  FailSafe g;
  g.begin(0);
  for (int i = 0; i < 3; ++i) g.onReading(SensorState::Disconnected, 0);
  CHECK(g.check(true, 60000) == Trip::SensorFault);
  CHECK_STR(sv::tripName(Trip::GatewaySilent), "gateway-silent");
}
