// NVS (Preferences) storage: provisioning, the boot counter, and the kit's safety record (ADR 086:
// belief, a press in doubt, executed ids and their Acks, maxC) with the time already spent
// without the gateway.
#pragma once
#include <Arduino.h>
#include <Preferences.h>

#include "console.h"
#include "record.h"

struct Settings {
  String id, ssid, pass, host, secret, ntp, ca, cert, key;
  uint16_t port = 0;
  // Complete enough to connect: id, Wi-Fi, gateway, its CA, and a secret or a client cert.
  bool provisioned() const {
    return id.length() > 0 && ssid.length() > 0 && host.length() > 0 && ca.length() > 0 &&
           (secret.length() > 0 || (cert.length() > 0 && key.length() > 0));
  }
};

class Store {
 public:
  void begin() { prefs_.begin("sv", false); }
  // PROTOCOL: boot is incremented and persisted at every boot; this boot's number is returned.
  // `persisted` is false if NVS refused the write (then (boot, seq) could repeat).
  uint32_t nextBoot(bool* persisted);
  Settings load();
  bool save(sv::Key k, const char* value);
  bool clear(sv::Key k) { return prefs_.remove(sv::keyName(k)); }
  // Forget provisioning; keep the boot counter (keys must never repeat) and the safety record.
  void erase();
  // The record of the last boot; false when there is none or it is not exactly one record
  // (the core checks version and checksum). A v1.0 image's "heater" key is read as a record.
  bool loadRecord(sv::KitRecord* out);
  bool saveRecord(const sv::KitRecord& r) { return prefs_.putBytes("rec", &r, sizeof r) == sizeof r; }
  uint32_t unsupervisedMs() { return prefs_.getUInt("unsup", 0); }
  bool saveUnsupervisedMs(uint32_t ms) { return prefs_.putUInt("unsup", ms) == sizeof(uint32_t); }

 private:
  Preferences prefs_;
};
