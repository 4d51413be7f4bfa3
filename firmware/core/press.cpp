#include "press.h"

#include <cstring>

namespace sv {
namespace {

void copyId(char* dst, const char* src) {
  strncpy(dst, src, kIdMax);
  dst[kIdMax] = '\0';
}

}  // namespace

bool PressScheduler::seen(const char* id) {
  for (const auto& r : recent_) {
    if (r[0] != '\0' && strcmp(r, id) == 0) return true;
  }
  copyId(recent_[recentNext_], id);
  recentNext_ = (recentNext_ + 1) % kRecentIds;
  return false;
}

void PressScheduler::ack(const Job& j, bool ok, const char* err) {
  if (j.internal) return;
  Ack a;
  copyId(a.id, j.id);
  a.ok = ok;
  a.heater = heater_;
  strncpy(a.err, err != nullptr ? err : "", kErrMax);
  if (ackCount_ == kAckQueue) {  // never expected (one pending job); keep the newest
    ackHead_ = (ackHead_ + 1) % kAckQueue;
    --ackCount_;
  }
  acks_[(ackHead_ + ackCount_) % kAckQueue] = a;
  ++ackCount_;
}

bool PressScheduler::popAck(Ack& out) {
  if (ackCount_ == 0) return false;
  out = acks_[ackHead_];
  ackHead_ = (ackHead_ + 1) % kAckQueue;
  --ackCount_;
  return true;
}

// PROTOCOL: a press older than ttlMs is ignored (from sentTs when the clock is synced). A safe
// never expires: it can only switch the heater off, and a gateway clock that disagrees with ours
// (a Raspberry Pi before its first NTP sync) must not keep it from doing so.
bool PressScheduler::expired(const Job& j, uint32_t nowMs) const {
  if (j.internal || !j.always) return false;
  uint64_t age = static_cast<uint64_t>(j.ageAtReceiptMs) + (nowMs - j.receivedMs);
  return age > j.ttlMs;
}

void PressScheduler::reject(const char* id, const char* err) {
  if (seen(id)) return;
  Job j;
  copyId(j.id, id);
  ack(j, false, err);
}

void PressScheduler::submit(const Command& c, uint32_t nowMs, uint64_t epochNowMs, const char* refuseHeat) {
  if (seen(c.id)) return;  // QoS 1 may redeliver: never press or ack the same command twice
  Job j;
  j.active = true;
  copyId(j.id, c.id);
  j.on = c.op == Op::Press && c.expect == Expect::On;  // "safe" always means off
  j.always = c.op == Op::Press;
  j.receivedMs = nowMs;
  j.ttlMs = c.ttlMs;
  if (c.hasSentTs && epochNowMs != 0 && epochNowMs > c.sentTs) {
    uint64_t age = epochNowMs - c.sentTs;
    j.ageAtReceiptMs = age > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(age);
  }
  if (expired(j, nowMs)) return ack(j, false, "expired");
  if (j.on && refuseHeat != nullptr) return ack(j, false, refuseHeat);
  if (pending_.active) {
    if (!j.on && !pending_.on && pending_.internal) {
      pending_ = j;  // same goal as the waiting fail-safe press: it becomes this command's
      return;
    }
    // "safe" outranks a waiting press-on; anything else waits its turn at the gateway.
    if (c.op != Op::Safe || !pending_.on) return ack(j, false, "busy");
    ack(pending_, false, "superseded");
  } else if (moving() && c.op == Op::Press) {
    return ack(j, false, "busy");
  }
  pending_ = j;
}

bool PressScheduler::requestOff() {
  if (pending_.active) {
    if (!pending_.on) return false;  // already heading off
    ack(pending_, false, "failsafe");
  } else if (!heater_ && !moving()) {
    return false;
  }
  pending_ = Job{};
  pending_.active = true;
  pending_.internal = true;
  return true;
}

Step PressScheduler::tick(uint32_t nowMs, const char* refuseHeat) {
  Step s;
  if (phase_ == Phase::Down && nowMs - phaseSinceMs_ >= t_.travelMs + t_.holdMs) {
    phase_ = Phase::Up;
    phaseSinceMs_ = nowMs;
    s.servo = ServoOp::Release;
    return s;
  }
  if (phase_ == Phase::Up && nowMs - phaseSinceMs_ >= t_.returnMs) {
    phase_ = Phase::Idle;
    // The contract: after a gateway press the kit believes `expect` (never a flip of its old
    // belief, which would turn a corrective press into the opposite of what was asked); a
    // safe/fail-safe press is only made while believed on, so it ends believed off.
    heater_ = current_.on;
    pressedOnce_ = true;
    lastPressEndMs_ = nowMs;
    s.servo = ServoOp::Detach;  // PROTOCOL/issue: detached between presses (wear, current)
    s.heaterChanged = true;
    ack(current_, true, nullptr);
    current_ = Job{};
    return s;
  }
  if (phase_ != Phase::Idle || !pending_.active) return s;
  if (expired(pending_, nowMs)) {
    ack(pending_, false, "expired");
    pending_ = Job{};
    return s;
  }
  if (pending_.on && refuseHeat != nullptr) {
    ack(pending_, false, refuseHeat);
    pending_ = Job{};
    return s;
  }
  if (!pending_.always && heater_ == pending_.on) {  // safe/fail-safe and believed off: nothing to press
    ack(pending_, true, nullptr);
    pending_ = Job{};
    return s;
  }
  if (pressedOnce_ && nowMs - lastPressEndMs_ < t_.minGapMs) return s;
  current_ = pending_;
  pending_ = Job{};
  phase_ = Phase::Down;
  phaseSinceMs_ = nowMs;
  s.servo = ServoOp::Press;
  return s;
}

}  // namespace sv
