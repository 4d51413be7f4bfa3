#include "net.h"

#include <sys/time.h>
#include <time.h>

#include "config.h"

void Net::begin(const Settings* s, uint32_t boot, sv::Kit* kit, uint32_t seed) {
  s_ = s;
  kit_ = kit;
  backoff_ = sv::Backoff(seed);
  const char* id = s->id.c_str();
  snprintf(topicTelemetry_, sizeof topicTelemetry_, "sv/%s/telemetry", id);
  snprintf(topicStatus_, sizeof topicStatus_, "sv/%s/status", id);
  snprintf(topicAck_, sizeof topicAck_, "sv/%s/ack", id);
  snprintf(topicCmd_, sizeof topicCmd_, "sv/%s/cmd", id);
  sv::Status st{false, boot, SV_FW_VERSION};
  sv::encodeStatus(st, will_, sizeof will_);
  st.online = true;
  sv::encodeStatus(st, online_, sizeof online_);

  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(true);
  WiFi.begin(s->ssid.c_str(), s->pass.length() > 0 ? s->pass.c_str() : nullptr);
  if (s->ntp.length() > 0) configTime(0, 0, s->ntp.c_str());

  mqtt_.boundTimeouts(cfg::kTcpConnectS, cfg::kTlsHandshakeS);
  mqtt_.setCACert(s->ca.c_str());  // pinned: only the gateway's own CA is trusted
  if (s->cert.length() > 0 && s->key.length() > 0) {
    mqtt_.setCertificate(s->cert.c_str());  // PROTOCOL: client cert with CN = device id
    mqtt_.setPrivateKey(s->key.c_str());
  } else {
    mqtt_.setCredentials(id, s->secret.c_str());  // PROTOCOL: username = device id
  }
  mqtt_.setClientId(id);  // PROTOCOL: the client id MUST equal the device id
  mqtt_.setServer(s->host.c_str(), s->port);
  mqtt_.setKeepAlive(cfg::kKeepAliveS);
  mqtt_.setCleanSession(true);  // our own outbox resends, with the same (boot, seq)
  mqtt_.setWill(topicStatus_, 1, true, will_);  // PROTOCOL: Last Will, retained, "offline"

  // These callbacks run in the MQTT task: they touch only the library (thread-safe), atomics
  // and the inbox. Everything else happens in the loop task (drainInbox).
  mqtt_.onConnect([this](bool) {
    mqtt_.subscribe(topicCmd_, 1);  // PROTOCOL: the only topic a device may subscribe to
    mqtt_.publish(topicStatus_, 1, true, online_);
    connected_ = true;
    Serial.println(F("mqtt: connected"));
  });
  mqtt_.onDisconnect([this](espMqttClientTypes::DisconnectReason reason) {
    connected_ = false;
    disconnected_ = true;  // never lost, unlike an inbox event: the outbox must rewind
    Serial.printf("mqtt: disconnected (reason %d)\n", static_cast<int>(reason));
  });
  mqtt_.onMessage([this](const espMqttClientTypes::MessageProperties&, const char* topic, const uint8_t* payload, size_t len,
                         size_t index, size_t total) {
    // PROTOCOL: payloads are at most 1 KiB, so a command arrives in one piece; a fragment is
    // over the limit anyway and is dropped (it cannot be acked: its id is unread).
    if (strcmp(topic, topicCmd_) != 0 || index != 0 || len != total) return;
    if (!inbox_.push(Inbox::Kind::Command, 0, millis(), payload, len)) Serial.println(F("mqtt: inbox full, command dropped"));
  });
  mqtt_.onPublish([this](uint16_t packetId) { inbox_.push(Inbox::Kind::Puback, packetId, millis()); });
}

bool Inbox::push(Kind k, uint16_t packetId, uint32_t atMs, const uint8_t* payload, size_t len) {
  if (len > sizeof ev_[0].payload) return false;
  std::lock_guard<std::mutex> lock(m_);
  if (count_ == kCap) return false;
  Event& e = ev_[(head_ + count_) % kCap];
  e.kind = k;
  e.packetId = packetId;
  e.atMs = atMs;
  e.len = len;
  if (len > 0) memcpy(e.payload, payload, len);
  ++count_;
  return true;
}

bool Inbox::pop(Event* out) {
  std::lock_guard<std::mutex> lock(m_);
  if (count_ == 0) return false;
  *out = ev_[head_];
  head_ = (head_ + 1) % kCap;
  --count_;
  return true;
}

void Net::drainInbox() {
  while (inbox_.pop(&event_)) {
    switch (event_.kind) {
      case Inbox::Kind::Command: kit_->onCommand(event_.payload, event_.len, event_.atMs, epochMs()); break;
      case Inbox::Kind::Puback: kit_->onPuback(event_.packetId, event_.atMs); break;
    }
  }
  // After the events that came before it (the next connect is started only below, in loop()).
  if (disconnected_.exchange(false)) {
    connecting_ = false;
    kit_->onDisconnect();
    uint32_t delayMs = backoff_.nextDelayMs();  // PROTOCOL: exponential, full jitter, 1 s → 60 s
    nextAttemptMs_ = millis() + delayMs;
    Serial.printf("mqtt: retry in %u ms\n", static_cast<unsigned>(delayMs));
  }
}

void Net::connect(uint32_t nowMs) {
  connecting_ = true;
  // With the internal task this only queues CONNECT and wakes the task: it does not block.
  if (!mqtt_.connect()) {  // could not even start: count it as a failed attempt
    connecting_ = false;
    nextAttemptMs_ = nowMs + backoff_.nextDelayMs();
  }
}

void Net::queueAck(const sv::Ack& a) {
  if (ackCount_ < sizeof acks_ / sizeof acks_[0]) acks_[ackCount_++] = a;
}

void Net::publishPending() {
  char buf[256];
  while (ackCount_ > 0) {  // PROTOCOL: one ack per command, QoS 1
    size_t n = sv::encodeAck(acks_[0], buf, sizeof buf);
    if (n > 0 && mqtt_.publish(topicAck_, 1, false, buf) == 0) return;  // retry next loop
    for (size_t i = 1; i < ackCount_; ++i) acks_[i - 1] = acks_[i];
    --ackCount_;
  }
  sv::Outbox& out = kit_->outbox();
  while (out.inFlight() < cfg::kMaxInFlight) {
    const sv::Telemetry* t = out.nextToSend();
    if (t == nullptr) return;
    if (sv::encodeTelemetry(*t, buf, sizeof buf) == 0) return;
    uint16_t packetId = mqtt_.publish(topicTelemetry_, 1, false, buf);  // PROTOCOL: QoS 1
    if (packetId == 0) return;
    out.sent(t, packetId);  // leaves the outbox only on its PUBACK
  }
}

void Net::loop(uint32_t nowMs) {
  if (kit_ == nullptr) return;
  drainInbox();  // the MQTT task runs the client; here only its events and our publishes
  if (!wifiUp()) return;
  if (connected_) {
    if (connecting_) {
      connecting_ = false;
      backoff_.reset();
    }
    publishPending();
  } else if (!connecting_ && static_cast<int32_t>(nowMs - nextAttemptMs_) >= 0) {
    connect(nowMs);
  }
}

uint64_t Net::epochMs() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  if (tv.tv_sec < 1700000000) return 0;  // before 2023: SNTP has not synced yet
  return static_cast<uint64_t>(tv.tv_sec) * 1000ULL + static_cast<uint64_t>(tv.tv_usec / 1000);
}
