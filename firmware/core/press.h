// Press scheduler: turns commands and fail-safe requests into servo motions and acks.
// Toggle profile (PROTOCOL: Status.profile), the kit's command contract (docs/protocol.md):
// - `press` presses the button exactly once, whatever the kit believed, then the kit believes
//   and acks `expect` (the gateway sends the same `expect` again to correct a missed press);
// - `safe` and the kit's own fail-safe press only if the heater is believed on, then the kit
//   believes and acks off.
// One motion at a time; a command id is executed once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "messages.h"
#include "record.h"

namespace sv {

struct PressTiming {
  uint32_t travelMs = 250;   // SG90 at ~0.1 s/60°: reach the button
  uint32_t holdMs = 300;     // long enough for the cooker to register the press
  uint32_t returnMs = 300;   // back to rest before the servo is detached
  uint32_t minGapMs = 1500;  // between two presses, or the cooker may miss the second
};

enum class ServoOp : uint8_t { None, Press, Release, Detach };  // Press: attach and move down

struct Step {
  ServoOp servo = ServoOp::None;
  bool heaterChanged = false;  // the belief changed: telemetry reports it from now on
  // Write Kit::record() to NVS now, BEFORE applying `servo`: a press is recorded as in doubt
  // before the horn moves, and its end (belief, Ack) before the Ack is published.
  bool saveRecord = false;
  bool saveUnsupervised = false;  // write Kit::unsupervisedMs() to NVS (ADR 086)
};

class PressScheduler {
 public:
  explicit PressScheduler(PressTiming t = PressTiming{}) : t_(t) {}

  void restoreHeater(bool on) { heater_ = on; }  // belief kept in NVS across resets
  // The NVS record of the last boot: belief, the executed ids and their Acks, and a press that
  // was under way (then the kit is in doubt: it believes that press's target, presses nothing
  // blindly, and answers a retry of its id with `err: "in-doubt"`).
  void restore(const KitRecord& r);
  // This scheduler's part of the record (belief, doubt, Acks of executed commands).
  void fill(KitRecord& r) const;
  // Something in fill()'s part changed since the last call (an executed command's Ack).
  bool takeChanged();
  bool heater() const { return heater_; }
  // In doubt: the heater state is unknown since a press was cut short by a reset.
  bool doubt() const { return doubt_; }
  // The bath answered the doubt (trend) or a press settled it: believe `on` from now on.
  void resolveDoubt(bool on);
  bool moving() const { return phase_ != Phase::Idle; }
  // The motion under way is for a heater on (a gateway `press` expecting on).
  bool pressingOn() const { return moving() && current_.on; }
  // The motion under way is a gateway `press` (not a `safe` or the kit's own press).
  bool pressingForGateway() const { return moving() && current_.always && !current_.internal; }
  // `id` is the command whose press a reset cut short (its retry is answered `in-doubt`).
  bool cutShort(const char* id) const;
  bool busy() const { return moving() || pending_.active; }

  // A decoded command. `epochNowMs` is 0 without a synced clock (TTL then counts from
  // receipt); `refuseHeat` comes from FailSafe::refuseHeat(). True when the command was
  // accepted (queued, or acked ok at once); false when refused or already seen.
  bool submit(const Command& c, uint32_t nowMs, uint64_t epochNowMs, const char* refuseHeat);
  // An invalid command whose id could be read: refused by ack, never pressed.
  void reject(const char* id, const char* err);
  // Fail-safe: make sure the heater ends off. False when nothing was queued.
  bool requestOff();
  // The bath proves a heater believed off is on (ADR 086): press once whatever the belief, then
  // believe off. False when a press heading off is already queued or under way.
  bool requestPressOff();
  Step tick(uint32_t nowMs, const char* refuseHeat);

  // PROTOCOL: one ack per command. Drain after every submit/reject/tick.
  bool popAck(Ack& out);

 private:
  enum class Phase : uint8_t { Idle, Down, Up };
  struct Job {
    bool active = false;
    bool internal = false;  // fail-safe: no ack, no TTL
    bool on = false;        // the heater state the job must end in (and the belief after it)
    bool always = false;    // gateway `press`: one press whatever the belief; else only if believed on
    char id[kIdMax + 1] = {};
    uint32_t receivedMs = 0;
    uint32_t ageAtReceiptMs = 0;
    uint32_t ttlMs = 0;
  };
  static constexpr size_t kRecentIds = 8;
  static constexpr size_t kAckQueue = 8;

  bool seen(const char* id);
  void store(const Ack& a);
  void enqueue(const Ack& a);
  // One Ack. Only the Ack of a command that moved the servo is kept for a retry after a reset
  // (ADR 088: a `safe` that pressed nothing can run again harmlessly, and NVS is spared a write).
  void ack(const Job& j, bool ok, const char* err, bool pressed = false);
  bool expired(const Job& j, uint32_t nowMs) const;

  PressTiming t_;
  bool heater_ = false;
  Phase phase_ = Phase::Idle;
  uint32_t phaseSinceMs_ = 0;
  bool pressedOnce_ = false;
  uint32_t lastPressEndMs_ = 0;
  Job pending_;  // waiting for the gap or for the current motion
  Job current_;  // in motion
  char recent_[kRecentIds][kIdMax + 1] = {};
  size_t recentNext_ = 0;
  bool doubt_ = false;
  char doubtId_[kIdMax + 1] = {};  // the command whose press was cut short ("" if none or answered)
  StoredAck done_[kStoredAcks] = {};
  bool doneEarlier_[kStoredAcks] = {};  // restored from the last boot and not re-sent yet
  size_t doneNext_ = 0;
  bool changed_ = false;
  Ack acks_[kAckQueue];
  size_t ackHead_ = 0;
  size_t ackCount_ = 0;
};

}  // namespace sv
