// NVS (Preferences) storage: provisioning, the boot counter and the heater belief.
#pragma once
#include <Arduino.h>
#include <Preferences.h>

#include "console.h"

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
  // Forget provisioning; keep the boot counter (keys must never repeat) and heater belief.
  void erase();
  bool heater() { return prefs_.getBool("heater", false); }
  void saveHeater(bool on) { prefs_.putBool("heater", on); }

 private:
  Preferences prefs_;
};
