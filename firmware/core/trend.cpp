#include "trend.h"

namespace sv {

void BathTrend::restart(uint32_t nowMs) {
  n_ = 0;
  head_ = 0;
  started_ = true;
  sinceMs_ = nowMs;
}

void BathTrend::add(int16_t raw16, uint32_t nowMs) {
  if (!started_) restart(nowMs);
  while (n_ > 0 && !inWindow(at(0), nowMs)) {  // keep one window only
    head_ = (head_ + 1) % kCap;
    --n_;
  }
  if (n_ == kCap) {
    head_ = (head_ + 1) % kCap;
    --n_;
  }
  s_[(head_ + n_) % kCap] = Sample{nowMs, raw16};
  ++n_;
}

bool BathTrend::rising(uint32_t nowMs) const {
  size_t m = 0;
  int16_t low = 0;
  for (size_t i = 0; i < n_; ++i) {
    if (!inWindow(at(i), nowMs)) continue;
    if (m == 0 || at(i).raw < low) low = at(i).raw;
    ++m;
  }
  if (m < 3) return false;
  return at(n_ - 1).raw - low >= kRise16 && at(n_ - 2).raw - low >= kRise16;
}

const BathTrend::Sample* BathTrend::windowStart(uint32_t nowMs) const {
  if (!started_ || nowMs - sinceMs_ < kWindowMs || n_ < 2) return nullptr;
  size_t first = 0;
  while (first < n_ && !inWindow(at(first), nowMs)) ++first;
  if (first >= n_ || at(n_ - 1).t - at(first).t < kWindowMs - 10000) return nullptr;  // a gap in the readings
  return &at(first);
}

bool BathTrend::notRising(uint32_t nowMs) const {
  const Sample* first = windowStart(nowMs);
  return first != nullptr && at(n_ - 1).raw <= first->raw;
}

bool BathTrend::notFalling(uint32_t nowMs) const {
  const Sample* first = windowStart(nowMs);
  return first != nullptr && at(n_ - 1).raw >= first->raw;
}

bool BathTrend::fell(uint32_t nowMs, bool whole) const {
  const Sample* first = nullptr;
  if (whole) {
    first = windowStart(nowMs);
  } else if (started_ && n_ >= 3) {
    size_t i = 0;
    while (i < n_ && !inWindow(at(i), nowMs)) ++i;
    if (i + 3 <= n_) first = &at(i);
  }
  if (first == nullptr) return false;
  return at(n_ - 1).raw <= first->raw - kFall16 && at(n_ - 2).raw <= first->raw - kFall16;
}

}  // namespace sv
