#include "record.h"

#include <cstring>

namespace sv {
namespace {

uint32_t fnv1a(const KitRecord& r) {
  const auto* p = reinterpret_cast<const uint8_t*>(&r);
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < offsetof(KitRecord, check); ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

}  // namespace

KitRecord emptyRecord() {
  KitRecord r;
  memset(&r, 0, sizeof r);  // padding too: the check covers raw bytes
  r.version = kRecordVersion;
  sealRecord(r);
  return r;
}

void sealRecord(KitRecord& r) { r.check = fnv1a(r); }

bool recordValid(const KitRecord& r) {
  if (r.version != kRecordVersion || r.check != fnv1a(r)) return false;
  if (r.heater > 1 || r.doubt > 1 || r.doubtOn > 1 || r.hasMaxC > 1 || r.ackNext >= kStoredAcks) return false;
  if (memchr(r.doubtId, '\0', sizeof r.doubtId) == nullptr) return false;
  for (const StoredAck& a : r.acks) {
    if (memchr(a.id, '\0', sizeof a.id) == nullptr || memchr(a.err, '\0', sizeof a.err) == nullptr) return false;
    if (a.ok > 1 || a.heater > 1) return false;
  }
  return true;
}

}  // namespace sv
