#include "store.h"

uint32_t Store::nextBoot(bool* persisted) {
  uint32_t boot = prefs_.getUInt("boot", 0);  // the first boot ever is boot 0
  *persisted = prefs_.putUInt("boot", boot + 1) == sizeof(uint32_t);
  return boot;
}

Settings Store::load() {
  Settings s;
  s.id = prefs_.getString("id", "");
  s.ssid = prefs_.getString("ssid", "");
  s.pass = prefs_.getString("pass", "");
  s.host = prefs_.getString("host", "");
  s.port = static_cast<uint16_t>(prefs_.getString("port", "").toInt());
  if (s.port == 0) s.port = 8883;
  s.secret = prefs_.getString("secret", "");
  s.ntp = prefs_.getString("ntp", "");
  s.ca = prefs_.getString("ca", "");
  s.cert = prefs_.getString("cert", "");
  s.key = prefs_.getString("key", "");
  if (s.pass == "-") s.pass = "";  // "-" is how an open network is typed on the console
  return s;
}

bool Store::save(sv::Key k, const char* value) { return prefs_.putString(sv::keyName(k), value) > 0; }

bool Store::loadRecord(sv::KitRecord* out) {
  if (prefs_.isKey("rec")) {
    return prefs_.getBytesLength("rec") == sizeof *out && prefs_.getBytes("rec", out, sizeof *out) == sizeof *out;
  }
  if (!prefs_.isKey("heater")) return false;
  *out = sv::emptyRecord();  // written by firmware 1.0.0: only the belief
  out->heater = prefs_.getBool("heater", false) ? 1 : 0;
  sv::sealRecord(*out);
  return true;
}

void Store::erase() {
  uint32_t boot = prefs_.getUInt("boot", 0);
  uint32_t unsup = prefs_.getUInt("unsup", 0);
  sv::KitRecord rec;
  bool haveRec = loadRecord(&rec);
  prefs_.clear();
  prefs_.putUInt("boot", boot);
  prefs_.putUInt("unsup", unsup);
  if (haveRec) saveRecord(rec);
}
