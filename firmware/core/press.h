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
  bool heaterChanged = false;  // persist the new belief and report it in telemetry
};

class PressScheduler {
 public:
  explicit PressScheduler(PressTiming t = PressTiming{}) : t_(t) {}

  void restoreHeater(bool on) { heater_ = on; }  // belief kept in NVS across resets
  bool heater() const { return heater_; }
  bool moving() const { return phase_ != Phase::Idle; }
  bool busy() const { return moving() || pending_.active; }

  // A decoded command. `epochNowMs` is 0 without a synced clock (TTL then counts from
  // receipt); `refuseHeat` comes from FailSafe::refuseHeat().
  void submit(const Command& c, uint32_t nowMs, uint64_t epochNowMs, const char* refuseHeat);
  // An invalid command whose id could be read: refused by ack, never pressed.
  void reject(const char* id, const char* err);
  // Fail-safe: make sure the heater ends off. False when nothing was queued.
  bool requestOff();
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
  void ack(const Job& j, bool ok, const char* err);
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
  Ack acks_[kAckQueue];
  size_t ackHead_ = 0;
  size_t ackCount_ = 0;
};

}  // namespace sv
