#include "backoff.h"

namespace sv {

uint32_t Backoff::ceilingMs() const {
  uint64_t c = baseMs_;
  for (uint32_t i = 0; i < attempt_ && c < capMs_; ++i) c <<= 1;  // no overflow past the cap
  return c < capMs_ ? static_cast<uint32_t>(c) : capMs_;
}

uint32_t Backoff::nextDelayMs() {
  uint32_t ceiling = ceilingMs();
  if (attempt_ < 32) ++attempt_;
  // Modulo bias is at most ceiling/2^32 (< 0.002 %): irrelevant for spreading reconnects.
  return static_cast<uint32_t>(random() % (static_cast<uint64_t>(ceiling) + 1));
}

uint32_t Backoff::random() {  // xorshift32 (Marsaglia)
  uint32_t x = state_;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  state_ = x;
  return x;
}

}  // namespace sv
