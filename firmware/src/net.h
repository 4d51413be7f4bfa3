// Wi-Fi and MQTT over TLS to the gateway (docs/protocol.md "Connection"): client id = device id,
// the gateway CA pinned (no public roots), Last Will "offline" retained on sv/<id>/status,
// QoS 1 telemetry from the core's outbox, reconnects paced by the core's Backoff.
//
// ADR 086: the MQTT client runs in its own FreeRTOS task (espMqttClient's internal task), so the
// blocking parts of a connect (DNS, TCP connect, TLS handshake) never stall the loop task, which
// alone is watched by the 8 s task watchdog and runs the fail-safe and the servo. The library's
// calls are guarded by its own mutex; its callbacks run in its task and only hand events to the
// loop through `Inbox` (the core is not thread-safe and is touched by the loop task only).
#pragma once
#include <Arduino.h>
#include <WiFi.h>
#include <espMqttClient.h>

#include <atomic>
#include <mutex>

#include "backoff.h"
#include "kit.h"
#include "store.h"

// espMqttClientSecure with the transport's timeouts bounded (the TLS handshake defaults to 120 s:
// a dead gateway that still accepts TCP would keep the client from retrying for two minutes).
class BoundedMqttClient : public espMqttClientSecure {
 public:
  BoundedMqttClient() : espMqttClientSecure(kTaskPriority, kTaskCore) {}
  void boundTimeouts(uint32_t connectS, uint32_t handshakeS) {
    _client.client.setTimeout(connectS);  // Arduino-ESP32 2.0.x: seconds
    _client.client.setHandshakeTimeout(handshakeS);
  }

 private:
  static constexpr uint8_t kTaskPriority = 1;  // as the loop task; Wi-Fi/lwIP run above it
  static constexpr uint8_t kTaskCore = 0;      // the loop task runs on core 1
};

// Events from the MQTT task to the loop task. Small and lossy by design: a command dropped
// when full is retried by the gateway (same id), a PUBACK dropped means one telemetry resend.
class Inbox {
 public:
  enum class Kind : uint8_t { Command, Puback };
  struct Event {
    Kind kind;
    uint16_t packetId;
    uint32_t atMs;
    size_t len;
    char payload[1024];  // PROTOCOL: payloads are at most 1 KiB
  };
  bool push(Kind k, uint16_t packetId, uint32_t atMs, const uint8_t* payload = nullptr, size_t len = 0);
  bool pop(Event* out);

 private:
  static constexpr size_t kCap = 4;
  std::mutex m_;
  Event ev_[kCap] = {};
  size_t head_ = 0, count_ = 0;
};

class Net {
 public:
  Net() : backoff_(1) {}

  // Everything `s` holds must stay alive: the MQTT library keeps pointers to it.
  void begin(const Settings* s, uint32_t boot, sv::Kit* kit, uint32_t seed);
  void loop(uint32_t nowMs);
  void queueAck(const sv::Ack& a);

  bool started() const { return kit_ != nullptr; }
  bool wifiUp() const { return WiFi.status() == WL_CONNECTED; }
  bool mqttUp() const { return connected_.load(); }
  int16_t rssi() const { return wifiUp() ? static_cast<int16_t>(WiFi.RSSI()) : 1; }  // 1: unknown
  // Epoch ms when NTP has synced, else 0 (PROTOCOL: telemetry ts is then null).
  static uint64_t epochMs();

 private:
  void connect(uint32_t nowMs);
  void publishPending();
  void drainInbox();

  BoundedMqttClient mqtt_;
  Inbox inbox_;
  Inbox::Event event_ = {};  // drain scratch (1 KiB: kept off the loop task's stack)
  sv::Backoff backoff_;
  const Settings* s_ = nullptr;
  sv::Kit* kit_ = nullptr;
  char topicTelemetry_[48] = {}, topicStatus_[48] = {}, topicAck_[48] = {}, topicCmd_[48] = {};
  char will_[128] = {}, online_[128] = {};
  std::atomic<bool> connected_{false};     // written by the MQTT task
  std::atomic<bool> disconnected_{false};  // set by the MQTT task, handled (and cleared) by the loop
  bool connecting_ = false;
  uint32_t nextAttemptMs_ = 0;
  sv::Ack acks_[4];
  size_t ackCount_ = 0;
};
