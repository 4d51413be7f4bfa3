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
  // Executed before the last reset (ADR 086): never again. The gateway retries an id only when
  // it got no Ack, and the reset may have lost it: send the stored one (once per boot).
  for (size_t i = 0; i < kStoredAcks; ++i) {
    if (done_[i].id[0] == '\0' || strcmp(done_[i].id, id) != 0) continue;
    if (doneEarlier_[i]) {
      doneEarlier_[i] = false;
      Ack a;  // the Ack as it was, with what the kit believes now (it may have pressed since)
      copyId(a.id, id);
      a.ok = done_[i].ok != 0;
      a.heater = heater_;
      strncpy(a.err, done_[i].err, kErrMax);
      enqueue(a);
    }
    return true;
  }
  // Its press was cut short by the reset: whether it took is unknown. Never press it again
  // (the gateway re-plans from the bath); answer it so that the gateway knows.
  if (doubtId_[0] != '\0' && strcmp(doubtId_, id) == 0) {
    doubtId_[0] = '\0';
    Job j;
    copyId(j.id, id);
    ack(j, false, "in-doubt");
    return true;
  }
  return false;
}

void PressScheduler::store(const Ack& a) {
  StoredAck& d = done_[doneNext_];
  memset(&d, 0, sizeof d);
  copyId(d.id, a.id);
  d.ok = a.ok ? 1 : 0;
  d.heater = a.heater ? 1 : 0;
  strncpy(d.err, a.err, kStoredErrMax);
  doneEarlier_[doneNext_] = false;
  doneNext_ = (doneNext_ + 1) % kStoredAcks;
  changed_ = true;
}

void PressScheduler::restore(const KitRecord& r) {
  heater_ = r.heater != 0;
  doubt_ = r.doubt != 0;
  if (doubt_) {
    heater_ = r.doubtOn != 0;  // the working belief: what the cut-short press was for
    copyId(doubtId_, r.doubtId);
  }
  for (size_t i = 0; i < kStoredAcks; ++i) {
    done_[i] = r.acks[i];
    doneEarlier_[i] = done_[i].id[0] != '\0';
  }
  doneNext_ = r.ackNext % kStoredAcks;
}

void PressScheduler::fill(KitRecord& r) const {
  r.heater = heater_ ? 1 : 0;
  r.doubt = (doubt_ || moving()) ? 1 : 0;
  r.doubtOn = moving() ? (current_.on ? 1 : 0) : (heater_ ? 1 : 0);
  memset(r.doubtId, 0, sizeof r.doubtId);
  copyId(r.doubtId, moving() ? current_.id : doubtId_);
  for (size_t i = 0; i < kStoredAcks; ++i) r.acks[i] = done_[i];
  r.ackNext = static_cast<uint8_t>(doneNext_);
}

bool PressScheduler::takeChanged() {
  bool c = changed_;
  changed_ = false;
  return c;
}

void PressScheduler::resolveDoubt(bool on) {
  if (heater_ != on) changed_ = true;
  heater_ = on;
  if (doubt_) changed_ = true;
  doubt_ = false;
}

bool PressScheduler::cutShort(const char* id) const { return doubtId_[0] != '\0' && strcmp(doubtId_, id) == 0; }

void PressScheduler::ack(const Job& j, bool ok, const char* err, bool pressed) {
  if (j.internal) return;
  Ack a;
  copyId(a.id, j.id);
  a.ok = ok;
  a.heater = heater_;
  strncpy(a.err, err != nullptr ? err : "", kErrMax);
  enqueue(a);
  if (ok && pressed) store(a);  // pressed: a retry after a reset gets this Ack, not a second press
}

void PressScheduler::enqueue(const Ack& a) {
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

bool PressScheduler::submit(const Command& c, uint32_t nowMs, uint64_t epochNowMs, const char* refuseHeat) {
  if (seen(c.id)) return false;  // QoS 1 may redeliver: never press or ack the same command twice
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
  auto refuse = [&](const char* err) {
    ack(j, false, err);
    return false;
  };
  if (expired(j, nowMs)) return refuse("expired");
  if (j.on && refuseHeat != nullptr) return refuse(refuseHeat);
  // In doubt a `safe` is never refused (ADR 088): the Kit settles the doubt from the bath before
  // it submits one (a bath that has not clearly cooled reads "on", and the safe presses).
  if (pending_.active) {
    if (!j.on && !pending_.on && pending_.internal && !pending_.always) {
      pending_ = j;  // same goal as the waiting fail-safe press: it becomes this command's
      return true;
    }
    // "safe" outranks a waiting press-on; anything else waits its turn at the gateway.
    if (c.op != Op::Safe || !pending_.on) return refuse("busy");
    ack(pending_, false, "superseded");
  } else if (moving() && c.op == Op::Press) {
    return refuse("busy");
  }
  pending_ = j;
  return true;
}

bool PressScheduler::requestOff() {
  if (doubt_) return false;  // blind: in doubt a press may as well turn the heater on
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

bool PressScheduler::requestPressOff() {
  if (moving() && !current_.on) return false;  // a press heading off is under way
  if (pending_.active) {
    if (!pending_.on && pending_.always) return false;  // a press heading off already waits
    ack(pending_, false, "failsafe");
  }
  pending_ = Job{};
  pending_.active = true;
  pending_.internal = true;
  pending_.always = true;  // the belief is what is wrong: press whatever it says
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
    doubt_ = false;  // a completed press settles what the kit believes
    pressedOnce_ = true;
    lastPressEndMs_ = nowMs;
    s.servo = ServoOp::Detach;  // PROTOCOL/issue: detached between presses (wear, current)
    s.heaterChanged = true;
    ack(current_, true, nullptr, true);
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
