// Reconnect delay (docs/protocol.md "Reconnect"): exponential backoff with full jitter, 1 s → 60 s
// cap, so a gateway restart does not bring every kit back in the same second. The random
// source is a seeded xorshift (the device seeds it from the hardware RNG; tests fix the seed).
#pragma once
#include <cstdint>

namespace sv {

class Backoff {
 public:
  explicit Backoff(uint32_t seed, uint32_t baseMs = 1000, uint32_t capMs = 60000)
      : state_(seed != 0 ? seed : 0x9E3779B9u), baseMs_(baseMs), capMs_(capMs) {}

  // The ceiling of the next delay: base × 2^attempt, at most the cap.
  uint32_t ceilingMs() const;
  // Full jitter: uniform in [0, ceiling]. Each call counts one failed attempt.
  uint32_t nextDelayMs();
  // After a successful connection the next failure starts from the base again.
  void reset() { attempt_ = 0; }
  uint32_t attempts() const { return attempt_; }

 private:
  uint32_t random();
  uint32_t state_;
  uint32_t baseMs_;
  uint32_t capMs_;
  uint32_t attempt_ = 0;
};

}  // namespace sv
