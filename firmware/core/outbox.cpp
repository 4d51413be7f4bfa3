#include "outbox.h"

namespace sv {

bool Outbox::push(const Telemetry& t) {
  bool room = count_ < kCapacity;
  if (!room) {
    head_ = (head_ + 1) % kCapacity;
    --count_;
    ++dropped_;
  }
  at(count_) = Slot{t, 0};
  ++count_;
  return room;
}

const Telemetry* Outbox::nextToSend() const {
  for (size_t i = 0; i < count_; ++i) {
    if (at(i).packetId == 0) return &at(i).t;
  }
  return nullptr;
}

void Outbox::sent(const Telemetry* t, uint16_t packetId) {
  for (size_t i = 0; i < count_; ++i) {
    if (&at(i).t == t) at(i).packetId = packetId;
  }
}

bool Outbox::acked(uint16_t packetId) {
  if (packetId == 0) return false;
  for (size_t i = 0; i < count_; ++i) {
    if (at(i).packetId != packetId) continue;
    for (size_t k = i; k + 1 < count_; ++k) at(k) = at(k + 1);  // keep order; N is small
    --count_;
    return true;
  }
  return false;
}

void Outbox::disconnected() {
  for (size_t i = 0; i < count_; ++i) at(i).packetId = 0;
}

size_t Outbox::inFlight() const {
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i) n += at(i).packetId != 0 ? 1 : 0;
  return n;
}

}  // namespace sv
