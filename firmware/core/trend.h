// The bath's own trend, from the kit's good readings: the evidence the kit uses when its heater
// belief cannot be trusted (a press interrupted by a reset, a belief that the bath contradicts).
// ADR 086. Pure: fed with readings and times, no clock of its own.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sv {

class BathTrend {
 public:
  static constexpr uint32_t kWindowMs = 120000;  // 2 min
  static constexpr int16_t kRise16 = 16;         // +1 °C in 1/16 °C counts
  static constexpr int16_t kFall16 = 2;          // a clear fall: 0.125 °C (two steps of the probe)

  // Forget the readings before `nowMs` (after a press: the bath must answer afresh).
  void restart(uint32_t nowMs);
  void add(int16_t raw16, uint32_t nowMs);  // good readings only
  // The bath rose at least 1 °C within the last 2 min: the last two readings are both ≥ 1 °C
  // above the lowest reading of the window (one stray reading proves nothing).
  bool rising(uint32_t nowMs) const;
  // A whole window of readings (since the last restart) and the bath did not rise over it: the
  // last reading is not above the window's first. Heaters warm a bath; this one is not on.
  bool notRising(uint32_t nowMs) const;
  // A whole window and the bath did not cool over it: the last reading is not below the
  // window's first. Above maxC a bath without heat cools by far more than that in 2 min.
  bool notFalling(uint32_t nowMs) const;
  // The bath clearly cooled since the last restart: at least 3 readings, and the last two are
  // both kFall16 or more below the first. With `whole`, only over a whole window (see notRising).
  // ADR 088: a bath well above ambient with its heater off cools by more than this in 2 min.
  bool fell(uint32_t nowMs, bool whole) const;
  // The readings cover a whole window since the last restart (the window's verdicts can be read).
  bool haveWindow(uint32_t nowMs) const { return windowStart(nowMs) != nullptr; }

 private:
  struct Sample {
    uint32_t t;
    int16_t raw;
  };
  static constexpr size_t kCap = 160;  // > 2 min of 1 Hz readings
  bool inWindow(const Sample& s, uint32_t nowMs) const { return nowMs - s.t <= kWindowMs; }
  // The window's first reading, if the readings cover a whole window since the last restart.
  const Sample* windowStart(uint32_t nowMs) const;
  const Sample& at(size_t i) const { return s_[(head_ + i) % kCap]; }  // 0 = oldest kept

  Sample s_[kCap] = {};
  size_t head_ = 0;
  size_t n_ = 0;
  bool started_ = false;
  uint32_t sinceMs_ = 0;  // the first time readings count from (boot or the last restart)
};

}  // namespace sv
