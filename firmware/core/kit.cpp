#include "kit.h"

#include <cstring>


namespace sv {

void Kit::begin(uint32_t boot, bool heaterOn, uint32_t nowMs) {
  BootState b;
  b.boot = boot;
  b.haveRecord = true;
  b.record.heater = heaterOn ? 1 : 0;
  sealRecord(b.record);
  begin(b, nowMs);
}

void Kit::begin(const BootState& b, uint32_t nowMs) {
  boot_ = b.boot;
  seq_ = 0;  // PROTOCOL: seq counts within a boot
  KitRecord r = b.haveRecord && recordValid(b.record) ? b.record : emptyRecord();
  press_.restore(r);
  if (r.hasMaxC != 0) {
    hasMaxC_ = true;
    safety_.setMaxC(r.maxCc / 100.0);
  }
  // ADR 086: the silence window is not renewed by a reset, and a crash while believed on is
  // itself a reason to switch off (the kit cannot vouch for the time it was gone).
  unsupSaved_ = b.unsupervisedMs;
  safety_.begin(nowMs, b.unsupervisedMs);
  crashReset_ = b.reset == ResetCause::Crash && press_.heater() && !press_.doubt();
  trend_.restart(nowMs);
  doubtSinceMs_ = nowMs;
  haveSaved_ = b.haveRecord && recordValid(b.record);
  if (haveSaved_) saved_ = b.record;
}

// ADR 088: whatever settles the doubt as "on" (anything but a clear fall of the bath) may be
// wrong when the cut-short press had in fact switched the heater off; then the next off press
// turns it on, so that press is checked against the bath.
void Kit::settleDoubt(bool on) {
  press_.resolveDoubt(on);
  checkNextOff_ = on;
}

KitRecord Kit::record() const {
  KitRecord r = emptyRecord();
  press_.fill(r);
  r.hasMaxC = hasMaxC_ ? 1 : 0;
  if (hasMaxC_) r.maxCc = static_cast<int16_t>(safety_.maxC() * 100 + 0.5);
  sealRecord(r);
  return r;
}

SensorState Kit::onReading(const ProbeRead& r, uint32_t nowMs, uint64_t epochMs, int16_t rssi) {
  SensorState s = sensor_.classify(r, nowMs);
  safety_.onReading(s, r.raw16);
  if (s == SensorState::Ok) trend_.add(r.raw16, nowMs);
  lastSensor_ = s;
  Telemetry t;
  t.boot = boot_;
  t.seq = seq_++;
  t.hasTs = epochMs != 0;
  t.ts = epochMs;
  t.sensor = s;
  t.raw16 = r.raw16;
  t.heater = press_.heater();
  t.hasRssi = rssi <= 0;
  t.rssi = rssi;
  outbox_.push(t);
  return s;
}

void Kit::onCommand(const char* payload, size_t len, uint32_t nowMs, uint64_t epochMs) {
  heard(nowMs);
  Command c;
  Verdict v;
  if (!decodeCommand(payload, len, c, v, doc_)) {
    // One ack per command, even a malformed one, as long as it names itself.
    if (c.id[0] != '\0') {
      char err[kErrMax + 1] = {};
      const char* what = v.code == Code::DuplicateKey ? "duplicate " : "invalid ";
      size_t n = strlen(what);
      memcpy(err, what, n);
      const Issue& first = v.issues[0];
      for (size_t i = 0; i < first.fieldLen && n < 48; ++i) {  // an unknown key may be anything
        char ch = first.field[i];
        err[n++] = (ch > ' ' && ch < 0x7F && ch != '"' && ch != '\\') ? ch : '?';
      }
      err[n] = '\0';
      press_.reject(c.id, err);
    }
    return;
  }
  lastTrip_ = Trip::None;  // the gateway is in charge again
  bool stale = c.hasSentTs && epochMs > c.sentTs && epochMs - c.sentTs > c.ttlMs;
  // maxC counts only from a command the kit accepts (not a refused, expired or repeated one);
  // it is set first so that a press-on is judged against the limit it brings.
  double before = safety_.maxC();
  bool takeMaxC = c.hasMaxC && !stale;
  if (takeMaxC) safety_.setMaxC(c.maxC);
  // ADR 088: in doubt a `safe` is acted on, not refused. Unless the bath has clearly cooled since
  // boot (off: nothing to press), the heater is believed on and the safe presses it off; the bath
  // then checks that press. The retry of the cut-short id is still answered `in-doubt`.
  if (c.op == Op::Safe && press_.doubt() && !press_.moving() && !press_.cutShort(c.id)) settleDoubt(!trend_.fell(nowMs, false));
  bool accepted = press_.submit(c, nowMs, epochMs, safety_.refuseHeat());
  if (accepted && c.op == Op::Press) {  // the gateway presses on its own reading of the bath
    checkNextOff_ = false;
    checking_ = false;
  }
  if (!takeMaxC) return;
  if (!accepted) {
    safety_.setMaxC(before);
  } else if (!hasMaxC_ || c.maxC != before) {
    hasMaxC_ = true;
    recordDirty_ = true;
  }
}

void Kit::heard(uint32_t nowMs) {
  safety_.heardFromGateway(nowMs);
  heardSinceBoot_ = true;
  if (unsupSaved_ != 0) {  // cleared only if something was written (or carried over a reset)
    unsupSaved_ = 0;
    unsupDirty_ = true;
  }
}

void Kit::onPuback(uint16_t packetId, uint32_t nowMs) {
  heard(nowMs);
  outbox_.acked(packetId);
}

Step Kit::tick(uint32_t nowMs) {
  bool beliefChanged = false;
  // In doubt (a press cut short by a reset) the bath decides, within 3 min (ADR 088): a rise of
  // 1 °C means on at once; after a whole 2-min window only a clear fall means off, anything else
  // (a rise of any size, a flat bath held by the cooker's own thermostat) means on; without a
  // window of readings by 3 min, on. Until then nothing that trusts the belief presses.
  if (press_.doubt() && !press_.moving()) {
    bool was = press_.heater();
    if (trend_.rising(nowMs)) {
      settleDoubt(true);
    } else if (trend_.haveWindow(nowMs)) {
      settleDoubt(!trend_.fell(nowMs, true));
    } else if (nowMs - doubtSinceMs_ >= cfg_.doubtMaxMs) {
      settleDoubt(true);
    }
    beliefChanged = press_.heater() != was;
  }
  // The check of an off press made on the doubt's "on": the bath must clearly fall over the window
  // after it. A rise, or a bath that does not fall, says that press turned the heater on: press
  // once more (whatever the belief), then believe off. No readings by 3 min: no second blind press.
  if (checking_ && !press_.busy()) {
    if (trend_.rising(nowMs) || (trend_.haveWindow(nowMs) && !trend_.fell(nowMs, true))) {
      checking_ = false;
      if (press_.requestPressOff()) lastTrip_ = Trip::DoubtCheck;
    } else if (trend_.haveWindow(nowMs) || nowMs - checkSinceMs_ >= cfg_.doubtMaxMs) {
      checking_ = false;
    }
  }
  // The blind rules (they trust the belief; the scheduler refuses them while in doubt).
  Trip trip = safety_.check(press_.heater(), nowMs);
  if (trip == Trip::None && crashReset_ && press_.heater()) trip = Trip::CrashReset;
  crashReset_ = false;
  if (trip != Trip::None && press_.requestOff()) lastTrip_ = trip;
  // Evidence over belief: above maxC and not cooling (risen 1 °C within 2 min, or not lower than
  // 2 min ago) while believed off (or in doubt) means the heater is on. Press once, then let the
  // bath answer (evidence from readings after the press only) before another, at most one per 5 min.
  if ((!press_.heater() || press_.doubt()) && safety_.overTemp() && (trend_.rising(nowMs) || trend_.notFalling(nowMs)) &&
      (!correctedOnce_ || nowMs - correctedMs_ >= cfg_.correctivePressGapMs) && press_.requestPressOff()) {
    lastTrip_ = Trip::OverTempRising;
    correctedOnce_ = true;
    correctedMs_ = nowMs;
    trend_.restart(nowMs);
  }
  Step s = press_.tick(nowMs, safety_.refuseHeat());
  if (s.servo == ServoOp::Press) {
    trend_.restart(nowMs);  // what the bath does next answers this press
    if (checkNextOff_ && !press_.pressingOn() && !press_.pressingForGateway()) {
      checking_ = true;
      checkSinceMs_ = nowMs;
    }
    checkNextOff_ = false;
  }
  s.heaterChanged = s.heaterChanged || beliefChanged;
  s.saveRecord = s.servo == ServoOp::Press || s.heaterChanged || press_.takeChanged() || recordDirty_;
  recordDirty_ = false;
  if (s.saveRecord) {  // ADR 088: a record equal to the one NVS holds is not written again
    KitRecord now = record();
    if (haveSaved_ && memcmp(&now, &saved_, sizeof now) == 0) {
      s.saveRecord = false;
    } else {
      saved_ = now;
      haveSaved_ = true;
    }
  }
  // Time without the gateway survives a reset while the heater may be on (ADR 086), written at
  // a coarse step so that flash wear stays bounded (the fail-safe ends an episode in 30 s).
  if (press_.heater() || press_.doubt()) {
    uint32_t u = safety_.unsupervisedMs(nowMs);
    uint32_t every = heardSinceBoot_ ? cfg_.unsupervisedSaveMs : cfg_.unsupervisedBootSaveMs;
    if (u >= unsupSaved_ + every || (u == safety_.silenceMs() && unsupSaved_ != u)) {
      unsupSaved_ = u;
      unsupDirty_ = true;
    }
  }
  s.saveUnsupervised = unsupDirty_;
  unsupDirty_ = false;
  return s;
}

}  // namespace sv
