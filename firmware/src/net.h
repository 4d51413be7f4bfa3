// Wi-Fi and MQTT over TLS to the gateway (docs/protocol.md "Connection"): client id = device id,
// the gateway CA pinned (no public roots), Last Will "offline" retained on sv/<id>/status,
// QoS 1 telemetry from the core's outbox, reconnects paced by the core's Backoff.
#pragma once
#include <Arduino.h>
#include <WiFi.h>
#include <espMqttClient.h>

#include "backoff.h"
#include "kit.h"
#include "store.h"

class Net {
 public:
  Net() : mqtt_(espMqttClientTypes::UseInternalTask::NO), backoff_(1) {}

  // Everything `s` holds must stay alive: the MQTT library keeps pointers to it.
  void begin(const Settings* s, uint32_t boot, sv::Kit* kit, uint32_t seed);
  void loop(uint32_t nowMs);
  void queueAck(const sv::Ack& a);

  bool started() const { return kit_ != nullptr; }
  bool wifiUp() const { return WiFi.status() == WL_CONNECTED; }
  bool mqttUp() const { return connected_; }
  int16_t rssi() const { return wifiUp() ? static_cast<int16_t>(WiFi.RSSI()) : 1; }  // 1: unknown
  // Epoch ms when NTP has synced, else 0 (PROTOCOL: telemetry ts is then null).
  static uint64_t epochMs();

 private:
  void connect(uint32_t nowMs);
  void publishPending();

  espMqttClientSecure mqtt_;
  sv::Backoff backoff_;
  const Settings* s_ = nullptr;
  sv::Kit* kit_ = nullptr;
  char topicTelemetry_[48] = {}, topicStatus_[48] = {}, topicAck_[48] = {}, topicCmd_[48] = {};
  char will_[128] = {}, online_[128] = {};
  bool connected_ = false;
  bool connecting_ = false;
  uint32_t nextAttemptMs_ = 0;
  sv::Ack acks_[4];
  size_t ackCount_ = 0;
};
