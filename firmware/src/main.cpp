// Arduino entry: wires hardware and network to the core (sv::Kit) and does nothing else.
// Order each loop: watchdog, console, probe, safety and presses, acks, network, LED.
#include <Arduino.h>
#include <esp_system.h>  // esp_random(), esp_reset_reason()
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
bool reportedDoubt = false;

// ADR 086: a crash (watchdog, panic, brownout) stopped the loop for an unknown time.
sv::ResetCause resetCause() {
  switch (esp_reset_reason()) {
    case ESP_RST_SW: return sv::ResetCause::Software;
    case ESP_RST_PANIC:
    case ESP_RST_INT_WDT:
    case ESP_RST_TASK_WDT:
    case ESP_RST_WDT:
    case ESP_RST_BROWNOUT: return sv::ResetCause::Crash;
    default: return sv::ResetCause::PowerOn;
  }
}

}  // namespace

void setup() {
  Serial.begin(115200);
  pinMode(cfg::kPinLed, OUTPUT);
  // Hardware (task) watchdog: a loop stuck for 8 s resets the kit. The safety record is in NVS
  // (ADR 086), so after the reset the kit knows the heater may be on, how long it has been
  // without the gateway, and whether a press was cut short.
  esp_task_wdt_init(cfg::kWatchdogS, true);
  esp_task_wdt_add(nullptr);
  servo.rest();  // a reset in the middle of a press may have left the horn on the button

  store.begin();
  bool bootSaved = false;
  sv::BootState b;
  b.boot = store.nextBoot(&bootSaved);
  b.haveRecord = store.loadRecord(&b.record);
  b.unsupervisedMs = store.unsupervisedMs();
  b.reset = resetCause();
  settings = store.load();
  kit.begin(b, millis());
  probe.begin();
  console.begin(&store, b.boot);
  Serial.printf("boot %u (reset %d), heater believed %s%s, %u ms without the gateway\n", static_cast<unsigned>(b.boot),
                static_cast<int>(esp_reset_reason()), kit.heater() ? "on" : "off", kit.inDoubt() ? " (IN DOUBT)" : "",
                static_cast<unsigned>(b.unsupervisedMs));

  if (!bootSaved) {
    // (boot, seq) would repeat after the next reset and the gateway would drop new data as
    // duplicates: stay off the network (the gateway sees the kit offline) but keep safety.
    Serial.println(F("error: NVS refused the boot counter; not connecting"));
  } else if (!settings.provisioned()) {
    Serial.println(F("not provisioned: type 'help'"));
  } else {
    net.begin(&settings, b.boot, &kit, esp_random());
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
  // NVS first, then the servo (ADR 086): a press is on record as "in doubt" before the horn
  // moves, and its end (belief, Ack) before the Ack is published. A refused write is logged,
  // not a reason to skip the press: an off press matters more than its record.
  if (step.saveRecord && !store.saveRecord(kit.record())) Serial.println(F("error: NVS refused the safety record"));
  if (step.saveUnsupervised) store.saveUnsupervisedMs(kit.unsupervisedMs());
  servo.apply(step.servo);
  if (kit.lastTrip() != reportedTrip) {
    reportedTrip = kit.lastTrip();
    if (reportedTrip != sv::Trip::None) Serial.printf("fail-safe: %s, pressing the heater off\n", sv::tripName(reportedTrip));
  }
  if (kit.inDoubt() != reportedDoubt) {
    reportedDoubt = kit.inDoubt();
    Serial.printf("heater state %s\n", reportedDoubt ? "in doubt (a press was cut short by a reset)" : "settled");
  }
  sv::Ack ack;
  while (kit.popAck(ack)) net.queueAck(ack);

  net.loop(now);

  sv::LedInputs led{settings.provisioned(), net.started() && net.wifiUp(), net.mqttUp(), kit.lastTrip(),
                    kit.lastSensor() != sv::SensorState::Ok};
  digitalWrite(cfg::kPinLed, sv::ledOn(sv::ledCode(led), now) ? HIGH : LOW);
}
