// ADR 086: what a reset must not undo. A small world around sv::Kit that does what src/main.cpp
// does with NVS (the record and "unsup" written when the Step says so, before the servo moves),
// a toggle button, a bath, and resets at chosen moments. Each test replays one finding of the
// firmware audit (the heater left on, or turned on, by a reset or a wrong belief).
#include <memory>
#include <vector>
#include <string>

#include "../core/kit.h"
#include "runner.h"

namespace {

struct Nvs {
  uint32_t boot = 7;
  bool have = false;
  sv::KitRecord rec = sv::emptyRecord();
  uint32_t unsup = 0;
  int recordWrites = 0;
  int unsupWrites = 0;
};

struct World {
  Nvs nvs;
  std::unique_ptr<sv::Kit> kit;
  uint32_t now = 0;     // millis() of this boot
  uint64_t absMs = 0;   // since the test began
  bool realHeater = false;
  bool buttonWorks = true;
  double bathC = 56;
  int presses = 0;
  int boots = 0;
  std::vector<uint64_t> pressAt;  // absolute ms of each press
  bool doubtSavedBeforePress = true;
  std::string acks;

  void boot(sv::ResetCause cause) {
    kit = std::make_unique<sv::Kit>();
    now = 0;
    ++boots;
    sv::BootState b;
    b.boot = nvs.boot++;
    b.haveRecord = nvs.have;
    b.record = nvs.rec;
    b.unsupervisedMs = nvs.unsup;
    b.reset = cause;
    kit->begin(b, now);
  }
  void believe(bool on) {  // a record from an earlier boot that believed `on`
    nvs.have = true;
    nvs.rec = sv::emptyRecord();
    nvs.rec.heater = on ? 1 : 0;
    sv::sealRecord(nvs.rec);
  }
  // One 10 ms pass of loop(): a reading at 1 Hz (and its PUBACK if the gateway is there).
  void step(bool gateway) {
    if (now % 1000 == 750) {
      kit->onReading(sv::ProbeRead{true, true, static_cast<int16_t>(bathC * 16)}, now, 0, -60);
      if (gateway) kit->onPuback(1, now);
    }
    sv::Step s = kit->tick(now);
    if (s.saveRecord) {  // store.saveRecord(kit.record()) before servo.apply()
      nvs.have = true;
      nvs.rec = kit->record();
      ++nvs.recordWrites;
    }
    if (s.saveUnsupervised) {
      nvs.unsup = kit->unsupervisedMs();
      ++nvs.unsupWrites;
    }
    if (s.servo == sv::ServoOp::Press) {
      if (!(nvs.have && nvs.rec.doubt == 1)) doubtSavedBeforePress = false;
      ++presses;
      pressAt.push_back(absMs);
      if (buttonWorks) realHeater = !realHeater;  // the cooker's toggle
    }
    sv::Ack a;
    while (kit->popAck(a)) acks += std::string(a.id) + ":" + (a.ok ? "ok" : a.err) + (a.heater ? "/on " : "/off ");
    bathC += realHeater ? 0.0003 : -0.0001;  // +1.8 °C/min heating, -0.6 °C/min cooling
    if (bathC > 100) bathC = 100;
    now += 10;
    absMs += 10;
  }
  void run(uint32_t ms, bool gateway = false) {
    for (uint32_t i = 0; i < ms; i += 10) step(gateway);
  }
  void command(const std::string& p) { kit->onCommand(p.data(), p.size(), now, 0); }
  // Runs until the next servo press has started (at most `ms`), then `extra` ms more.
  bool runUntilPress(uint32_t ms, uint32_t extra, bool gateway = false) {
    int before = presses;
    for (uint32_t i = 0; i < ms && presses == before; i += 10) step(gateway);
    if (presses == before) return false;
    run(extra, gateway);
    return true;
  }
};

}  // namespace

// Audit 1: a connect that blocks past the 8 s watchdog resets the kit every ~11 s. Before the
// fix each boot gave the silence rule a fresh 30 s and the heater ran to 90 °C.
TEST(reset_loop_after_watchdog_resets_switches_the_heater_off) {
  World w;
  w.believe(true);
  w.realHeater = true;
  w.boot(sv::ResetCause::PowerOn);
  for (uint64_t t = 0; t < 3600000; t += 10) {
    if (w.now >= 11000) w.boot(sv::ResetCause::Crash);  // the task watchdog
    w.step(false);
  }
  CHECK_EQ(w.presses, 1);
  CHECK(!w.pressAt.empty() && w.pressAt[0] < 12000);  // at the first boot after a crash
  CHECK(!w.realHeater);
  CHECK(!w.kit->heater());
  CHECK(w.bathC < 56);
}

TEST(reset_loop_without_a_crash_cause_still_trips_within_the_silence_window) {
  World w;  // the resets look like power-ons (no reset reason to go by): the time still adds up
  w.believe(true);
  w.realHeater = true;
  w.boot(sv::ResetCause::PowerOn);
  for (uint64_t t = 0; t < 3600000; t += 10) {
    if (w.now >= 11000) w.boot(sv::ResetCause::PowerOn);
    w.step(false);
  }
  CHECK_EQ(w.presses, 1);
  CHECK(!w.pressAt.empty() && w.pressAt[0] <= 45000);  // 30 s counted, ≤ 2 s lost per reset
  CHECK(!w.realHeater);
  CHECK(w.nvs.unsupWrites < 40);  // flash: a bounded number of writes per episode
}

TEST(unsupervised_time_counts_across_a_reset_and_is_cleared_by_the_gateway) {
  World w;
  w.believe(true);
  w.realHeater = true;
  w.boot(sv::ResetCause::PowerOn);
  w.run(20500);
  CHECK(w.nvs.unsup >= 18000 && w.nvs.unsup <= 20500);
  w.boot(sv::ResetCause::Software);
  w.run(9000);
  CHECK_EQ(w.presses, 0);
  w.run(3000);
  CHECK_EQ(w.presses, 1);  // ~10 s after the reset, not 30
  // Supervised again: the count restarts from zero, also in NVS.
  World g;
  g.believe(true);
  g.realHeater = true;
  g.nvs.unsup = 25000;
  g.boot(sv::ResetCause::PowerOn);
  g.run(2000, true);
  CHECK_EQ(g.nvs.unsup, 0);
  g.run(60000, true);
  CHECK_EQ(g.presses, 0);
}

TEST(a_crash_reset_with_the_heater_believed_off_presses_nothing) {
  World w;
  w.believe(false);
  w.boot(sv::ResetCause::Crash);
  w.run(120000);
  CHECK_EQ(w.presses, 0);
}

// Audit 2: a reset in the middle of the fail-safe's press. Before the fix NVS still said "on",
// and the next boot's fail-safe press turned the heater back on, to 100 °C.
TEST(reset_during_a_failsafe_press_does_not_press_blindly_after_it) {
  World w;
  w.believe(true);
  w.realHeater = true;
  w.boot(sv::ResetCause::PowerOn);
  CHECK(w.runUntilPress(40000, 300));  // silence → press off; 300 ms into the motion…
  CHECK(w.doubtSavedBeforePress);      // the record said "in doubt" before the horn moved
  CHECK(!w.realHeater);
  w.boot(sv::ResetCause::Crash);  // …a brownout
  CHECK(w.kit->inDoubt());
  CHECK(!w.kit->heater());  // it reports the state the press was for
  w.run(3600000);
  CHECK_EQ(w.presses, 1);
  CHECK(!w.realHeater);
  CHECK(!w.kit->inDoubt());  // the bath did not rise for 2 min: settled as off
}

TEST(reset_during_a_press_that_did_not_take_lets_the_rising_bath_decide) {
  World w;
  w.believe(true);
  w.realHeater = true;
  w.buttonWorks = false;  // this press misses the button
  w.boot(sv::ResetCause::PowerOn);
  CHECK(w.runUntilPress(40000, 300));
  w.buttonWorks = true;
  w.boot(sv::ResetCause::Crash);
  CHECK(w.kit->inDoubt());
  CHECK(w.realHeater);
  w.run(600000);
  // the bath rose 1 °C: on after all; the silence rule (time carried over) then presses off
  CHECK_EQ(w.presses, 2);
  CHECK(!w.realHeater);
  CHECK(w.bathC < 60);
}

// Audit 3: the gateway retries an id (fresh sentTs before the gateway fix) after a reset that
// cut its press short. Before the fix the kit pressed it again and the heater ended on.
TEST(retry_of_a_command_cut_short_by_a_reset_is_answered_in_doubt_not_pressed) {
  World w;
  w.believe(true);
  w.realHeater = true;
  w.boot(sv::ResetCause::PowerOn);
  const std::string c1 = R"({"v":1,"id":"c-1","op":"press","expect":"off","ttlMs":5000})";
  w.command(c1);
  CHECK(w.runUntilPress(1000, 300, true));
  w.boot(sv::ResetCause::Crash);
  w.run(5000, true);
  w.command(c1);  // the gateway's retry, same id
  w.run(3000, true);
  w.command(c1);  // and its second one
  w.run(3000, true);
  CHECK_EQ(w.presses, 1);
  CHECK(!w.realHeater);
  CHECK_STR(w.acks, "c-1:in-doubt/off ");
}

TEST(retry_after_a_reset_gets_the_stored_ack_of_a_completed_press) {
  World w;
  w.believe(false);
  w.boot(sv::ResetCause::PowerOn);
  const std::string c2 = R"({"v":1,"id":"c-2","op":"press","expect":"on","ttlMs":5000})";
  w.command(c2);
  w.run(1500, true);
  CHECK_EQ(w.presses, 1);
  CHECK_STR(w.acks, "c-2:ok/on ");  // popped, but the reset takes it before it is published
  w.acks.clear();
  w.boot(sv::ResetCause::Software);
  CHECK(w.kit->heater());
  w.command(c2);
  w.run(2000, true);
  w.command(c2);  // QoS 1 redelivery of the retry: nothing more
  w.run(2000, true);
  CHECK_EQ(w.presses, 1);
  CHECK(w.realHeater);
  CHECK_STR(w.acks, "c-2:ok/on ");
  // After a crash the kit presses off first (crash rule); the stored Ack then says what it
  // believes now, never a stale "on".
  w.acks.clear();
  w.boot(sv::ResetCause::Crash);
  w.run(2000, true);
  const std::string c2b = R"({"v":1,"id":"c-2","op":"press","expect":"on","ttlMs":5000})";
  w.command(c2b);
  w.run(2000, true);
  CHECK_EQ(w.presses, 2);
  CHECK(!w.realHeater);
  CHECK_STR(w.acks, "c-2:ok/off ");
}

TEST(crash_reset_while_believed_on_and_supervised_presses_off_once) {
  World w;  // the cost of the crash rule: the gateway sees heater=false and decides again
  w.believe(true);
  w.realHeater = true;
  w.boot(sv::ResetCause::Crash);
  w.run(60000, true);
  CHECK_EQ(w.presses, 1);
  CHECK(!w.realHeater && !w.kit->heater());
  CHECK(w.kit->lastTrip() == sv::Trip::CrashReset);
}

// Audit 4: the belief says off, the heater is on, no gateway. Before the fix the kit let the bath
// reach 100 °C above its 90 °C limit without a press.
TEST(above_maxC_and_rising_while_believed_off_presses_once) {
  World w;
  w.believe(false);
  w.realHeater = true;
  w.bathC = 80;
  w.boot(sv::ResetCause::PowerOn);
  w.run(1200000);
  CHECK_EQ(w.presses, 1);
  CHECK(!w.realHeater);
  CHECK(!w.kit->heater());
  CHECK(w.bathC < 92);
  CHECK(w.pressAt.size() == 1 && w.pressAt[0] > 330000);  // only once above 90 °C (≈ 5.6 min)
}

TEST(above_maxC_while_believed_off_waits_for_the_bath_between_presses) {
  World w;  // the button misses every time: presses stay one per 5 min, never a burst
  w.believe(false);
  w.realHeater = true;
  w.buttonWorks = false;
  w.bathC = 89;
  w.boot(sv::ResetCause::PowerOn);
  w.run(1200000);  // the bath boils from ~6 min on: not rising, but not cooling either
  CHECK(w.presses >= 3 && w.presses <= 4);
  for (size_t i = 1; i < w.pressAt.size(); ++i) CHECK(w.pressAt[i] - w.pressAt[i - 1] >= 300000);
  CHECK(w.kit->lastTrip() == sv::Trip::OverTempRising);
}

TEST(above_maxC_but_cooling_while_believed_off_presses_nothing) {
  World w;  // hot water poured in, heater off: a press would turn it on
  w.believe(false);
  w.bathC = 97;
  w.boot(sv::ResetCause::PowerOn);
  w.run(1200000);
  CHECK_EQ(w.presses, 0);
}

// Audit 5: maxC forgotten on reboot; taken even from a refused command.
TEST(maxC_from_an_accepted_command_survives_a_reboot) {
  World w;
  w.believe(false);
  w.bathC = 58;
  w.boot(sv::ResetCause::PowerOn);
  w.command(R"({"v":1,"id":"c-3","op":"press","expect":"on","ttlMs":5000,"maxC":60})");
  w.run(2000, true);
  CHECK(w.realHeater);
  w.boot(sv::ResetCause::Software);
  CHECK(w.kit->safety().maxC() == 60);
  w.run(120000, true);  // the bath passes 60 °C with the gateway there: the kit's own limit acts
  CHECK_EQ(w.presses, 2);
  CHECK(!w.realHeater);
  CHECK(w.kit->lastTrip() == sv::Trip::OverTemp);
}

TEST(maxC_of_a_refused_or_repeated_command_is_not_applied) {
  World w;
  w.believe(false);
  w.boot(sv::ResetCause::PowerOn);
  w.command(R"({"v":1,"id":"c-4","op":"press","expect":"on","ttlMs":5000})");
  w.command(R"({"v":1,"id":"c-5","op":"press","expect":"off","ttlMs":5000,"maxC":40})");  // busy
  w.command(R"({"v":1,"id":"c-4","op":"press","expect":"on","ttlMs":5000,"maxC":45})");  // repeated id
  w.run(100, true);
  CHECK_STR(w.acks, "c-5:busy/off ");
  CHECK(w.kit->safety().maxC() == 90);
  CHECK_EQ(w.kit->record().hasMaxC, 0);
  w.run(2000, true);
  w.command(R"({"v":1,"id":"c-6","op":"safe","ttlMs":5000,"maxC":70})");  // accepted
  w.run(2000, true);
  CHECK(w.kit->safety().maxC() == 70);
  CHECK_EQ(w.nvs.rec.hasMaxC, 1);
  CHECK_EQ(w.nvs.rec.maxCc, 7000);
}

TEST(record_check_refuses_a_torn_or_foreign_blob) {
  sv::KitRecord r = sv::emptyRecord();
  CHECK(sv::recordValid(r));
  r.heater = 1;
  CHECK(!sv::recordValid(r));  // changed without a new check
  sv::sealRecord(r);
  CHECK(sv::recordValid(r));
  r.version = 2;
  sv::sealRecord(r);
  CHECK(!sv::recordValid(r));
  World w;  // an invalid record at boot: heater believed off, nothing in doubt
  w.nvs.have = true;
  w.nvs.rec = sv::emptyRecord();
  w.nvs.rec.heater = 1;
  w.boot(sv::ResetCause::Crash);
  CHECK(!w.kit->heater() && !w.kit->inDoubt());
}

TEST(trend_needs_two_readings_one_degree_up_and_a_whole_window_to_say_not_rising) {
  sv::BathTrend t;
  t.restart(0);
  t.add(800, 0);
  t.add(800, 1000);
  t.add(820, 2000);  // one stray reading +1.25 °C
  CHECK(!t.rising(2000));
  t.add(817, 3000);
  CHECK(t.rising(3000));
  sv::BathTrend f;
  f.restart(0);
  for (uint32_t s = 0; s < 119; ++s) f.add(800, s * 1000);
  CHECK(!f.notRising(118000));  // not a whole window yet
  f.add(800, 120000);
  CHECK(f.notRising(120000));
  f.add(801, 121000);
  CHECK(!f.notRising(121000));
}
