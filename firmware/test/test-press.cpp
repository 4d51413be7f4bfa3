// Press scheduler: motions, dwell (gap), TTL, one ack per command, "safe" semantics.
#include <string>
#include <vector>

#include "../core/press.h"
#include "runner.h"

using sv::Expect;
using sv::Op;
using sv::PressScheduler;
using sv::ServoOp;

namespace {

struct Rig {
  PressScheduler p;
  uint32_t now = 1000;
  std::vector<std::string> log;  // "t:Press", "ack c-1 ok heater=on"

  void run(uint32_t ms, const char* refuse = nullptr) {
    for (uint32_t end = now + ms; now < end; now += 10) {
      sv::Step s = p.tick(now, refuse);
      if (s.servo != ServoOp::None) {
        const char* names[] = {"None", "Press", "Release", "Detach"};
        log.push_back(std::to_string(now) + ":" + names[static_cast<int>(s.servo)]);
      }
      drain();
    }
  }
  void drain() {
    sv::Ack a;
    while (p.popAck(a)) {
      log.push_back(std::string("ack ") + a.id + (a.ok ? " ok" : " refused:") + a.err + (a.heater ? " heater=on" : " heater=off"));
    }
  }
  void cmd(const char* id, Op op, Expect e, uint32_t ttl = 5000, uint64_t sentTs = 0, uint64_t epochNow = 0, const char* refuse = nullptr) {
    sv::Command c;
    strcpy(c.id, id);
    c.op = op;
    c.expect = e;
    c.ttlMs = ttl;
    c.hasSentTs = sentTs != 0;
    c.sentTs = sentTs;
    p.submit(c, now, epochNow, refuse);
    drain();
  }
  std::string joined() const {
    std::string s;
    for (const auto& l : log) s += (s.empty() ? "" : " | ") + l;
    return s;
  }
};

}  // namespace

TEST(press_on_moves_holds_returns_detaches_then_acks) {
  Rig r;
  r.cmd("c-1", Op::Press, Expect::On);
  r.run(2000);
  // travel 250 + hold 300 = 550 ms down, 300 ms back up, then detached; ack after the motion.
  CHECK_STR(r.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-1 ok heater=on");
  CHECK(r.p.heater());
  CHECK(!r.p.busy());
}

// The contract (docs/protocol.md): a gateway press presses once whatever the kit believed,
// then the belief is `expect`. The gateway sends the same `expect` again when the bath shows
// that the last press missed: the kit's belief is then wrong, and only a press corrects it.
TEST(press_when_already_believed_in_the_expected_state_still_presses_once) {
  Rig r;
  r.p.restoreHeater(true);
  r.cmd("c-2", Op::Press, Expect::On);
  r.run(1000);
  CHECK_STR(r.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-2 ok heater=on");
  CHECK(r.p.heater());  // `expect`, not a flip of the old belief
  Rig s;  // a missed off-press corrected: believed off, pressed again, still believed off
  s.cmd("c-2b", Op::Press, Expect::Off);
  s.run(1000);
  CHECK_STR(s.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-2b ok heater=off");
  CHECK(!s.p.heater());
}

TEST(press_repeated_expect_presses_each_time_and_never_toggles_the_belief) {
  Rig r;
  r.cmd("c-2c", Op::Press, Expect::On);
  r.run(2000);
  r.cmd("c-2d", Op::Press, Expect::On);  // the bath showed the first press missed
  r.run(2000);
  CHECK_STR(r.joined(),
            "1000:Press | 1550:Release | 1850:Detach | ack c-2c ok heater=on | 3350:Press | 3900:Release | 4200:Detach | ack c-2d ok heater=on");
  CHECK(r.p.heater());
}

TEST(safe_repeated_presses_nothing_once_believed_off) {
  Rig r;
  r.p.restoreHeater(true);
  r.cmd("c-3a", Op::Safe, Expect::None);
  r.run(2000);
  r.cmd("c-3b", Op::Safe, Expect::None);  // the gateway repeats safe while the bath rises
  r.run(2000);
  r.cmd("c-3c", Op::Safe, Expect::None);
  r.run(2000);
  CHECK_STR(r.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-3a ok heater=off | ack c-3b ok heater=off | ack c-3c ok heater=off");
  CHECK(!r.p.heater());
}

TEST(safe_presses_only_when_heater_believed_on) {
  Rig r;
  r.cmd("c-3", Op::Safe, Expect::None);
  r.run(1000);
  CHECK_STR(r.joined(), "ack c-3 ok heater=off");
  Rig s;
  s.p.restoreHeater(true);
  s.cmd("c-4", Op::Safe, Expect::None);
  s.run(1000);
  CHECK_STR(s.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-4 ok heater=off");
}

TEST(press_ttl_counts_from_receipt_without_a_clock) {
  Rig r;
  r.cmd("c-5", Op::Press, Expect::On);
  r.run(2000);
  r.log.clear();
  r.cmd("c-6", Op::Press, Expect::Off, 100);  // waits for the 1.5 s gap: too long for 100 ms
  r.run(2000);
  CHECK_STR(r.joined(), "ack c-6 refused:expired heater=on");
  CHECK(r.p.heater());
}

TEST(press_ttl_uses_sentTs_when_the_clock_is_synced) {
  Rig r;
  r.cmd("c-7", Op::Press, Expect::On, 5000, 1763798400000ULL, 1763798406000ULL);  // 6 s old
  CHECK_STR(r.joined(), "ack c-7 refused:expired heater=off");
  Rig s;
  s.cmd("c-8", Op::Press, Expect::On, 5000, 1763798400000ULL, 1763798404000ULL);  // 4 s old, 1 s left
  s.run(1000);
  CHECK(s.p.heater());
  Rig late;  // a safe never expires: a gateway clock an hour behind ours must not keep the heater on
  late.p.restoreHeater(true);
  late.cmd("c-10", Op::Safe, Expect::None, 5000, 1763798400000ULL, 1763802000000ULL);
  late.run(1000);
  CHECK_STR(late.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-10 ok heater=off");
  CHECK(!late.p.heater());
  Rig f;  // a gateway clock ahead of ours: age counts as 0, never negative
  f.cmd("c-9", Op::Press, Expect::On, 5000, 1763798409000ULL, 1763798400000ULL);
  f.run(1000);
  CHECK(f.p.heater());
}

TEST(press_minimum_gap_between_presses) {
  Rig r;
  r.cmd("c-10", Op::Press, Expect::On);
  r.run(900);
  r.cmd("c-11", Op::Press, Expect::Off);
  r.run(3000);
  // The second press waits 1.5 s after the first one ended (1850 + 1500).
  CHECK_STR(r.joined(),
            "1000:Press | 1550:Release | 1850:Detach | ack c-10 ok heater=on | 3350:Press | 3900:Release | 4200:Detach | ack c-11 ok heater=off");
}

TEST(press_duplicate_command_id_is_ignored_once_seen) {
  Rig r;
  r.cmd("c-12", Op::Press, Expect::On);
  r.run(2000);
  r.cmd("c-12", Op::Press, Expect::On);  // QoS 1 redelivery
  r.run(3000);
  CHECK_STR(r.joined(), "1000:Press | 1550:Release | 1850:Detach | ack c-12 ok heater=on");
}

TEST(press_while_moving_is_refused_busy) {
  Rig r;
  r.cmd("c-13", Op::Press, Expect::On);
  r.run(100);
  r.cmd("c-14", Op::Press, Expect::Off);
  CHECK_STR(r.log.back(), "ack c-14 refused:busy heater=off");
}

TEST(safe_supersedes_a_waiting_press) {
  Rig r;
  r.p.restoreHeater(true);
  r.cmd("c-15", Op::Press, Expect::Off);
  r.run(2000);
  r.log.clear();
  r.cmd("c-16", Op::Press, Expect::On);  // waits for the gap
  r.cmd("c-17", Op::Safe, Expect::None);
  r.run(3000);
  CHECK_STR(r.joined(), "ack c-16 refused:superseded heater=off | ack c-17 ok heater=off");
}

TEST(press_on_refused_while_failsafe_forbids_heat) {
  Rig r;
  r.cmd("c-18", Op::Press, Expect::On, 5000, 0, 0, "overtemp");
  CHECK_STR(r.joined(), "ack c-18 refused:overtemp heater=off");
  Rig s;
  s.cmd("c-19", Op::Press, Expect::On);
  s.run(10, "sensor-fault");  // the fault appeared before the motion began
  CHECK_STR(s.joined(), "ack c-19 refused:sensor-fault heater=off");
}

TEST(failsafe_request_off_presses_without_an_ack) {
  Rig r;
  r.p.restoreHeater(true);
  CHECK(r.p.requestOff());
  CHECK(!r.p.requestOff());  // already queued
  r.run(2000);
  CHECK_STR(r.joined(), "1000:Press | 1550:Release | 1850:Detach");
  CHECK(!r.p.heater());
  CHECK(!r.p.requestOff());  // nothing to do when off
}

TEST(failsafe_request_replaces_a_waiting_press_on) {
  Rig r;
  r.cmd("c-20", Op::Press, Expect::On);
  r.run(2000);
  r.p.restoreHeater(false);  // (simulate: the kit believes off again)
  r.log.clear();
  r.cmd("c-21", Op::Press, Expect::On);
  r.p.restoreHeater(true);
  CHECK(r.p.requestOff());
  r.drain();
  CHECK_STR(r.joined(), "ack c-21 refused:failsafe heater=on");
}

TEST(reject_acks_an_invalid_command_once) {
  Rig r;
  r.p.reject("c-22", "invalid expect");
  r.p.reject("c-22", "invalid expect");
  r.drain();
  CHECK_STR(r.joined(), "ack c-22 refused:invalid expect heater=off");
}

TEST(an_off_command_adopts_a_waiting_failsafe_press) {
  Rig r;
  r.p.restoreHeater(true);
  r.cmd("c-23", Op::Press, Expect::Off);
  r.run(2000);  // heater off now; make the kit believe on again to queue a fail-safe
  r.p.restoreHeater(true);
  r.log.clear();
  CHECK(r.p.requestOff());  // waits for the 1.5 s gap
  r.cmd("c-24", Op::Safe, Expect::None);
  r.cmd("c-25", Op::Press, Expect::On);
  r.run(3000);
  CHECK_STR(r.joined(), "ack c-25 refused:busy heater=on | 3350:Press | 3900:Release | 4200:Detach | ack c-24 ok heater=off");
}
