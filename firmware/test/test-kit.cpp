// The kit end to end (readings, commands, PUBACKs, time → servo motions, acks, telemetry):
// each fail-safe rule of docs/protocol.md ends with a real press and heater=false reported.
#include <string>

#include "../core/kit.h"
#include "runner.h"

namespace {

struct Bench {
  sv::Kit kit;
  uint32_t now = 0;
  int presses = 0;
  std::string acks;

  explicit Bench(bool heaterOn) { kit.begin(7, heaterOn, now); }

  void run(uint32_t ms) {
    for (uint32_t end = now + ms; now < end; now += 10) {
      if (kit.tick(now).servo == sv::ServoOp::Press) ++presses;
      sv::Ack a;
      while (kit.popAck(a)) acks += std::string(a.id) + ":" + (a.ok ? "ok" : a.err) + " ";
    }
  }
  void reading(int16_t raw, bool present = true, bool crc = true) {
    kit.onReading(sv::ProbeRead{present, crc, raw}, now, 0, -60);
  }
  void command(const std::string& p) { kit.onCommand(p.data(), p.size(), now, 0); }
  // 1 Hz readings and PUBACKs for `seconds`, like a healthy connection.
  void healthy(int seconds, int16_t raw) {
    for (int i = 0; i < seconds; ++i) {
      reading(raw);
      kit.onPuback(1, now);
      run(1000);
    }
  }
};

}  // namespace

TEST(kit_gateway_silence_presses_off_and_reports_it) {
  Bench b(true);  // heater on, restored from NVS
  b.healthy(10, 56 * 16);
  CHECK_EQ(b.presses, 0);
  for (int i = 0; i < 29; ++i) {  // readings go on, but no PUBACK and no command
    b.reading(56 * 16);
    b.run(1000);
  }
  CHECK_EQ(b.presses, 0);
  b.run(2000);
  CHECK_EQ(b.presses, 1);
  CHECK(!b.kit.heater());
  CHECK(b.kit.lastTrip() == sv::Trip::GatewaySilent);
  b.reading(56 * 16);
  const sv::Telemetry* last = nullptr;
  for (const sv::Telemetry* t = b.kit.outbox().nextToSend(); t != nullptr; t = b.kit.outbox().nextToSend()) {
    last = t;
    b.kit.outbox().sent(t, 5);
  }
  CHECK(last != nullptr && !last->heater);  // the next telemetry says heater=false
  b.run(60000);
  CHECK_EQ(b.presses, 1);  // and it does not press again
}

TEST(kit_silence_rule_counts_from_boot_when_restored_on) {
  Bench b(true);
  b.run(29990);
  CHECK_EQ(b.presses, 0);
  b.run(1000);
  CHECK_EQ(b.presses, 1);
}

TEST(kit_overtemp_presses_off_even_with_the_gateway_present) {
  Bench b(true);
  b.healthy(3, 80 * 16);
  b.reading(90 * 16 + 1);
  b.kit.onPuback(1, b.now);
  b.run(1000);
  CHECK_EQ(b.presses, 1);
  CHECK(b.kit.lastTrip() == sv::Trip::OverTemp);
  b.command(R"({"v":1,"id":"c-1","op":"press","expect":"on","ttlMs":5000})");
  b.run(2000);
  CHECK_STR(b.acks, "c-1:overtemp ");
  CHECK_EQ(b.presses, 1);
}

TEST(kit_command_maxC_lowers_the_limit) {
  Bench b(false);
  b.command(R"({"v":1,"id":"c-2","op":"press","expect":"on","ttlMs":5000,"maxC":60})");
  b.run(2000);
  CHECK(b.kit.heater());
  CHECK_EQ(b.presses, 1);
  b.reading(61 * 16);
  b.run(2000);
  CHECK_EQ(b.presses, 2);
  CHECK(!b.kit.heater());
}

TEST(kit_three_sensor_faults_press_off) {
  Bench b(true);
  b.healthy(2, 56 * 16);
  b.reading(0, false);  // unplugged
  b.kit.onPuback(1, b.now);
  b.run(1000);
  b.reading(0, true, false);  // crc
  b.kit.onPuback(1, b.now);
  b.run(1000);
  CHECK_EQ(b.presses, 0);
  b.reading(-20 * 16);  // range (too cold; too hot would trip overtemp at once)
  b.kit.onPuback(1, b.now);
  b.run(1000);
  CHECK_EQ(b.presses, 1);
  CHECK(b.kit.lastTrip() == sv::Trip::SensorFault);
}

TEST(kit_no_failsafe_press_when_heater_believed_off) {
  Bench b(false);
  for (int i = 0; i < 5; ++i) {
    b.reading(0, false);
    b.run(1000);
  }
  b.reading(100 * 16);
  b.run(60000);
  CHECK_EQ(b.presses, 0);  // toggle profile: a press would turn it on
}

TEST(kit_invalid_command_is_refused_by_ack_and_valid_one_clears_the_trip) {
  Bench b(true);
  b.run(31000);
  CHECK(b.kit.lastTrip() == sv::Trip::GatewaySilent);
  b.command(R"({"v":1,"id":"c-3","op":"press","ttlMs":5000})");
  b.command(R"({"v":1,"id":"c-4","op":"safe","ttlMs":5000,"mode":"x"})");
  b.command(R"(garbage)");
  b.run(100);
  CHECK_STR(b.acks, "c-3:invalid expect c-4:invalid mode ");
  CHECK(b.kit.lastTrip() == sv::Trip::GatewaySilent);
  b.command(R"({"v":1,"id":"c-5","op":"safe","ttlMs":5000})");
  b.run(100);
  CHECK(b.kit.lastTrip() == sv::Trip::None);
  CHECK_STR(b.acks, "c-3:invalid expect c-4:invalid mode c-5:ok ");
}

TEST(kit_command_with_a_repeated_key_is_refused_by_ack_without_a_press) {
  Bench b(false);
  b.command(R"({"v":1,"id":"c-6","op":"press","expect":"off","ttlMs":5000,"expe\u0063t":"on"})");
  b.command(R"({"v":1,"id":"c-7","op":"safe","ttlMs":5000,"id":"c-8"})");  // which id? none is acked
  b.run(3000);
  CHECK_STR(b.acks, "c-6:duplicate expect ");
  CHECK_EQ(b.presses, 0);
  CHECK(!b.kit.heater());
}

TEST(kit_telemetry_seq_boot_and_classification) {
  Bench b(false);
  b.reading(sv::kRawPowerOn);  // 85 at t=0: power-on value
  b.run(1000);
  b.reading(933);
  const sv::Telemetry* t = b.kit.outbox().nextToSend();
  CHECK(t->sensor == sv::SensorState::Por && t->seq == 0 && t->boot == 7 && !t->hasTs && t->hasRssi && t->rssi == -60);
  b.kit.outbox().sent(t, 1);
  t = b.kit.outbox().nextToSend();
  CHECK(t->sensor == sv::SensorState::Ok && t->seq == 1 && t->raw16 == 933);
  b.kit.onPuback(1, b.now);
  CHECK_EQ(b.kit.outbox().size(), 1);
}
