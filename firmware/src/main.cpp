// Arduino entry: wires hardware and network to the core (sv::Kit) and does nothing else.
// Order each loop: watchdog, console, probe, safety and presses, acks, network, LED.
#include <Arduino.h>
#include <esp_system.h>  // esp_random()
#include <esp_task_wdt.h>

#include "config.h"
#include "kit.h"
#include "led.h"
#include "net.h"
#include "probe.h"
#include "serial-console.h"
#include "servo-button.h"
#include "store.h"

namespace {

sv::Kit kit;  // large (outbox, parse buffer): static, not on the loop task's stack
Store store;
Settings settings;
SerialConsole console;
Probe probe;
ServoButton servo;
Net net;
uint32_t lastRequestMs = 0;
sv::Trip reportedTrip = sv::Trip::None;

}  // namespace

void setup() {
  Serial.begin(115200);
  pinMode(cfg::kPinLed, OUTPUT);
  // Hardware (task) watchdog: a loop stuck for 8 s resets the kit. The heater belief is in
  // NVS, so the fail-safe still knows after the reset that the heater may be on.
  esp_task_wdt_init(cfg::kWatchdogS, true);
  esp_task_wdt_add(nullptr);

  store.begin();
  bool bootSaved = false;
  uint32_t boot = store.nextBoot(&bootSaved);
  settings = store.load();
  kit.begin(boot, store.heater(), millis());
  probe.begin();
  console.begin(&store, boot);
  Serial.printf("boot %u, heater believed %s\n", static_cast<unsigned>(boot), kit.heater() ? "on" : "off");

  if (!bootSaved) {
    // (boot, seq) would repeat after the next reset and the gateway would drop new data as
    // duplicates: stay off the network (the gateway sees the kit offline) but keep safety.
    Serial.println(F("error: NVS refused the boot counter; not connecting"));
  } else if (!settings.provisioned()) {
    Serial.println(F("not provisioned: type 'help'"));
  } else {
    net.begin(&settings, boot, &kit, esp_random());
  }
}

void loop() {
  esp_task_wdt_reset();
  uint32_t now = millis();
  console.poll(kit.heater());

  if (!probe.converting() && now - lastRequestMs >= cfg::kReadPeriodMs) {
    probe.request(now);
    lastRequestMs = now;
  }
  if (probe.ready(now)) kit.onReading(probe.read(), now, Net::epochMs(), net.rssi());

  sv::Step step = kit.tick(now);  // fail-safe rules, then the press scheduler
  servo.apply(step.servo);
  if (step.heaterChanged) store.saveHeater(kit.heater());
  if (kit.lastTrip() != reportedTrip) {
    reportedTrip = kit.lastTrip();
    if (reportedTrip != sv::Trip::None) Serial.printf("fail-safe: %s, pressing the heater off\n", sv::tripName(reportedTrip));
  }
  sv::Ack ack;
  while (kit.popAck(ack)) net.queueAck(ack);

  net.loop(now);

  sv::LedInputs led{settings.provisioned(), net.started() && net.wifiUp(), net.mqttUp(), kit.lastTrip(),
                    kit.lastSensor() != sv::SensorState::Ok};
  digitalWrite(cfg::kPinLed, sv::ledOn(sv::ledCode(led), now) ? HIGH : LOW);
}
