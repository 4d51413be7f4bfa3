// What the kit keeps in NVS so that a reset cannot undo its safety (ADR 086). The glue writes
// the record whenever Step::saveRecord is set, BEFORE it moves the servo, and restores it at
// boot; a record that fails its check is treated as absent (the heater believed off, no doubt).
#pragma once
#include <cstddef>
#include <cstdint>

#include "messages.h"

namespace sv {

constexpr uint16_t kRecordVersion = 1;
constexpr size_t kStoredAcks = 4;      // the gateway retries an id at most twice within seconds
constexpr size_t kStoredErrMax = 15;   // "superseded", "failsafe", "in-doubt", …

// The Ack of a command the kit executed, kept so that a retry of the same id after a reset is
// answered with it instead of being executed again.
struct StoredAck {
  char id[kIdMax + 1];
  uint8_t ok;
  uint8_t heater;
  char err[kStoredErrMax + 1];
};

// Plain bytes: uint8_t flags and no implicit padding (the static_assert below), so that a copy
// of the struct is a copy of every byte `check` covers (everything before it).
struct KitRecord {
  uint16_t version;
  uint8_t heater;     // the belief after the last completed press
  uint8_t doubt;      // 1: a press was under way when this was written (its outcome is unknown)
  uint8_t doubtOn;    // the state that press was for
  uint8_t hasMaxC;    // 1: maxC came from an accepted command (else the default applies)
  uint8_t ackNext;    // next slot of `acks` to overwrite
  uint8_t reserved;
  char doubtId[kIdMax + 1];  // the command that press served ("" for the kit's own press)
  uint8_t pad;               // explicit: maxCc is 2-byte aligned
  int16_t maxCc;             // maxC in 1/100 °C (the schema allows 20…110 °C)
  StoredAck acks[kStoredAcks];
  uint32_t check;
};

static_assert(sizeof(StoredAck) == kIdMax + 1 + 2 + kStoredErrMax + 1, "StoredAck has no padding");
static_assert(sizeof(KitRecord) == 8 + kIdMax + 1 + 1 + 2 + kStoredAcks * sizeof(StoredAck) + 4, "KitRecord has no padding");

// An empty record: heater believed off, nothing in doubt, default maxC, no acks.
KitRecord emptyRecord();
// Fills `check`; `recordValid` verifies version and check (a torn or foreign blob is refused).
void sealRecord(KitRecord& r);
bool recordValid(const KitRecord& r);

// Why the chip restarted, as far as the kit's safety cares (the glue maps esp_reset_reason()).
enum class ResetCause : uint8_t {
  PowerOn,   // power applied (or an unknown cause): the cooker lost power too, or never had it
  Software,  // esp_restart(): the console's `reboot`, a deliberate restart
  Crash,     // task/interrupt watchdog, panic, brownout: the loop stopped for an unknown time
};

// What the glue hands the kit at boot.
struct BootState {
  uint32_t boot = 0;
  bool haveRecord = false;  // false: no valid record (first boot, torn write): heater believed off
  KitRecord record = emptyRecord();
  uint32_t unsupervisedMs = 0;  // NVS "unsup": time without the gateway already counted before the reset
  ResetCause reset = ResetCause::PowerOn;
};

}  // namespace sv
