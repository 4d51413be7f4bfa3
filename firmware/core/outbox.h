// Telemetry not yet acknowledged by the gateway, kept across short disconnects.
// PROTOCOL: the gateway sends PUBACK only after the message is durably stored, so a message
// leaves this buffer on PUBACK and never before. When full, the oldest reading is dropped
// (counted): fresh temperatures matter more to control than old ones.
#pragma once
#include <cstddef>
#include <cstdint>

#include "messages.h"

namespace sv {

class Outbox {
 public:
  static constexpr size_t kCapacity = 32;  // ~30 s at 1 Hz, ~1 KiB of RAM

  // Queues a reading to send. Returns false when the oldest one had to be dropped for it.
  bool push(const Telemetry& t);
  // The oldest message not yet in flight, or nullptr. Mark it with sent() after publishing.
  const Telemetry* nextToSend() const;
  void sent(const Telemetry* t, uint16_t packetId);
  // PUBACK for `packetId`: drop that message. False for an unknown id (e.g. status, ack).
  bool acked(uint16_t packetId);
  // Connection lost: in-flight messages are sent again after reconnecting, with the same
  // (boot, seq), so the gateway stores them once (PROTOCOL: idempotency key).
  void disconnected();

  size_t size() const { return count_; }
  size_t inFlight() const;
  uint32_t dropped() const { return dropped_; }

 private:
  struct Slot {
    Telemetry t;
    uint16_t packetId;  // 0: waiting to be sent
  };
  Slot& at(size_t i) { return slots_[(head_ + i) % kCapacity]; }
  const Slot& at(size_t i) const { return slots_[(head_ + i) % kCapacity]; }

  Slot slots_[kCapacity] = {};
  size_t head_ = 0;
  size_t count_ = 0;
  uint32_t dropped_ = 0;
};

}  // namespace sv
