// Serial provisioning commands and LED blink codes.
#include <string>

#include "../core/console.h"
#include "../core/led.h"
#include "runner.h"

using sv::Key;
using sv::Verb;

TEST(console_parses_the_documented_commands) {
  CHECK(sv::parseConsoleLine("help").verb == Verb::Help);
  CHECK(sv::parseConsoleLine("  show ").verb == Verb::Show);
  CHECK(sv::parseConsoleLine("reboot").verb == Verb::Reboot);
  CHECK(sv::parseConsoleLine("erase").verb == Verb::Erase);
  CHECK(sv::parseConsoleLine("").verb == Verb::Empty);
  CHECK(sv::parseConsoleLine("# comment").verb == Verb::Empty);
  sv::ConsoleCmd c = sv::parseConsoleLine("set id kit-01");
  CHECK(c.verb == Verb::Set && c.key == Key::Id);
  CHECK_STR(c.value, "kit-01");
  c = sv::parseConsoleLine("set ssid My Kitchen WiFi");
  CHECK(c.verb == Verb::Set && c.key == Key::Ssid);
  CHECK_STR(c.value, "My Kitchen WiFi");
  CHECK(sv::parseConsoleLine("set port 8883").verb == Verb::Set);
  CHECK(sv::parseConsoleLine("set pass -").verb == Verb::Set);
  CHECK(sv::parseConsoleLine("set secret 0123456789abcdef").verb == Verb::Set);
  CHECK(sv::parseConsoleLine("set ca").verb == Verb::BeginPem);
  CHECK(sv::parseConsoleLine("set key").key == Key::PrivKey);
  c = sv::parseConsoleLine("clear ntp");
  CHECK(c.verb == Verb::Clear && c.key == Key::Ntp);
}

TEST(console_rejects_bad_values_with_a_reason) {
  const char* bad[] = {"set id Kit_01", "set id ab", "set id -kit", "set port 0", "set port 70000", "set port 88x",
                       "set pass short", "set secret tooshort", "set host a b", "set ssid", "set color red",
                       "launch", "show all", "set ca now", "clear id now"};
  for (const char* b : bad) {
    sv::ConsoleCmd c = sv::parseConsoleLine(b);
    if (!CHECK(c.verb == Verb::Error && c.error != nullptr)) printf("  #   line: %s\n", b);
  }
}

TEST(console_device_id_rule_matches_the_protocol) {
  CHECK(sv::isDeviceId("kit-01"));
  CHECK(sv::isDeviceId("abc"));
  CHECK(sv::isDeviceId("0123456789abcdef0123456789abcdef"));
  CHECK(!sv::isDeviceId("0123456789abcdef0123456789abcdef0"));
  CHECK(!sv::isDeviceId("Kit"));
  CHECK(!sv::isDeviceId("-ab"));
}

TEST(console_collects_a_pasted_pem_block) {
  sv::PemCollector p;
  p.begin();
  CHECK(p.feed("") == sv::PemCollector::Feed::More);
  CHECK(p.feed("-----BEGIN CERTIFICATE-----\r") == sv::PemCollector::Feed::More);
  CHECK(p.feed("MIIBszCCAVmgAwIBAgIU") == sv::PemCollector::Feed::More);
  CHECK(p.feed("-----END CERTIFICATE-----") == sv::PemCollector::Feed::Done);
  CHECK_STR(p.text(), "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n");
  p.begin();
  CHECK(p.feed("not a pem") == sv::PemCollector::Feed::Error);
}

TEST(led_code_priority) {
  sv::LedInputs in{false, false, false, sv::Trip::None, false};
  CHECK(sv::ledCode(in) == sv::LedCode::Setup);
  in.provisioned = true;
  CHECK(sv::ledCode(in) == sv::LedCode::WifiConnecting);
  in.wifi = true;
  CHECK(sv::ledCode(in) == sv::LedCode::MqttConnecting);
  in.mqtt = true;
  CHECK(sv::ledCode(in) == sv::LedCode::Online);
  in.sensorFault = true;
  CHECK(sv::ledCode(in) == sv::LedCode::SensorFault);
  in.lastTrip = sv::Trip::GatewaySilent;
  CHECK(sv::ledCode(in) == sv::LedCode::FailSafe);
}

TEST(led_blinks_count_the_code) {
  auto blinks = [](sv::LedCode c) {
    int n = 0;
    bool prev = false;
    for (uint32_t t = 0; t < 2000; t += 10) {
      bool on = sv::ledOn(c, t);
      n += on && !prev ? 1 : 0;
      prev = on;
    }
    return n;
  };
  CHECK_EQ(blinks(sv::LedCode::WifiConnecting), 1);
  CHECK_EQ(blinks(sv::LedCode::MqttConnecting), 2);
  CHECK_EQ(blinks(sv::LedCode::SensorFault), 3);
  CHECK_EQ(blinks(sv::LedCode::FailSafe), 4);
  CHECK_EQ(blinks(sv::LedCode::Setup), 10);
  CHECK(sv::ledOn(sv::LedCode::Online, 1234));
}
