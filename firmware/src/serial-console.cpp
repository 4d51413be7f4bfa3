#include "serial-console.h"

namespace {

const char kHelp[] =
    "commands (settings take effect after 'reboot'):\n"
    "  show                    settings (secrets hidden), boot counter, heater belief\n"
    "  set id <device-id>      ^[a-z0-9][a-z0-9-]{2,31}$, also the MQTT client id\n"
    "  set ssid <name>         Wi-Fi network (rest of the line, spaces allowed)\n"
    "  set pass <password>     Wi-Fi password, 8-63 chars ('-' for an open network)\n"
    "  set host <gateway>      gateway host name or IP, as named in its TLS certificate\n"
    "  set port <n>            MQTT over TLS port (default 8883)\n"
    "  set secret <secret>     device secret issued at provisioning (16-128 chars)\n"
    "  set ca                  then paste the gateway CA certificate (PEM)\n"
    "  set cert / set key      client certificate and key (PEM), instead of a secret\n"
    "  set ntp <host>          optional time server (without one, telemetry ts is null)\n"
    "  clear <setting>         forget one setting\n"
    "  erase                   forget all settings (the boot counter is kept)\n"
    "  reboot                  restart and apply the settings\n";

void print(const __FlashStringHelper* label, const String& v, bool secret) {
  Serial.print(label);
  if (v.length() == 0) Serial.println(F("(not set)"));
  else if (secret) Serial.printf("(set, %u bytes)\n", static_cast<unsigned>(v.length()));
  else Serial.println(v);
}

}  // namespace

void SerialConsole::poll(bool heaterOn) {
  while (Serial.available() > 0) {
    char c = static_cast<char>(Serial.read());
    if (c == '\r') continue;
    if (c != '\n') {
      if (len_ + 1 < sizeof line_) line_[len_++] = c;  // overlong lines are cut, then rejected
      continue;
    }
    line_[len_] = '\0';
    len_ = 0;
    handle(line_, heaterOn);
  }
}

void SerialConsole::handle(const char* line, bool heaterOn) {
  if (pem_) {
    sv::PemCollector::Feed f = pemBuf_.feed(line);
    if (f == sv::PemCollector::Feed::More) return;
    pem_ = false;
    if (f == sv::PemCollector::Feed::Error) Serial.println(F("error: not a PEM block (or too long); nothing saved"));
    else if (store_->save(pemKey_, pemBuf_.text())) Serial.printf("ok: %s saved (%u bytes)\n", sv::keyName(pemKey_), static_cast<unsigned>(pemBuf_.size()));
    else Serial.println(F("error: NVS write failed"));
    return;
  }
  sv::ConsoleCmd c = sv::parseConsoleLine(line);
  switch (c.verb) {
    case sv::Verb::Empty: return;
    case sv::Verb::Help: Serial.print(kHelp); return;
    case sv::Verb::Show: show(heaterOn); return;
    case sv::Verb::Error: Serial.printf("error: %s\n", c.error); return;
    case sv::Verb::Set:
      Serial.println(store_->save(c.key, c.value) ? F("ok") : F("error: NVS write failed"));
      return;
    case sv::Verb::Clear:
      store_->clear(c.key);
      Serial.println(F("ok"));
      return;
    case sv::Verb::BeginPem:
      pem_ = true;
      pemKey_ = c.key;
      pemBuf_.begin();
      Serial.println(F("paste the PEM block; it ends at its -----END ...----- line"));
      return;
    case sv::Verb::Erase:
      store_->erase();
      Serial.println(F("ok: settings erased (reboot to enter setup mode)"));
      return;
    case sv::Verb::Reboot:
      Serial.println(F("rebooting"));
      Serial.flush();
      ESP.restart();
      return;
  }
}

void SerialConsole::show(bool heaterOn) {
  Settings s = store_->load();
  print(F("id:      "), s.id, false);
  print(F("ssid:    "), s.ssid, false);
  print(F("pass:    "), s.pass, true);
  print(F("host:    "), s.host, false);
  Serial.printf("port:    %u\n", s.port);
  print(F("secret:  "), s.secret, true);
  print(F("ntp:     "), s.ntp, false);
  print(F("ca:      "), s.ca, true);
  print(F("cert:    "), s.cert, true);
  print(F("key:     "), s.key, true);
  Serial.printf("boot:    %u\nheater:  %s (belief)\nfw:      %s\nready:   %s\n", static_cast<unsigned>(boot_), heaterOn ? "on" : "off",
                SV_FW_VERSION, s.provisioned() ? "yes" : "no (id, ssid, host, ca and secret or cert+key needed)");
}
