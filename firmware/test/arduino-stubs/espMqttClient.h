#pragma once
#include <functional>
#include "Arduino.h"
#include "WiFiClientSecure.h"
namespace espMqttClientTypes {
enum class DisconnectReason : int8_t { TCP_DISCONNECTED = 0 };
enum class UseInternalTask { NO = 0, YES = 1 };
struct MessageProperties {
  uint8_t qos;
  bool dup;
  bool retain;
  uint16_t packetId;
};
typedef std::function<void(bool sessionPresent)> OnConnectCallback;
typedef std::function<void(DisconnectReason reason)> OnDisconnectCallback;
typedef std::function<void(const MessageProperties&, const char*, const uint8_t*, size_t, size_t, size_t)> OnMessageCallback;
typedef std::function<void(uint16_t packetId)> OnPublishCallback;
}  // namespace espMqttClientTypes
namespace espMqttClientInternals {
struct ClientSecureSync {
  WiFiClientSecure client;
};
}  // namespace espMqttClientInternals
class espMqttClientSecure {
 public:
  explicit espMqttClientSecure(espMqttClientTypes::UseInternalTask useInternalTask);
  explicit espMqttClientSecure(uint8_t priority = 1, uint8_t core = 1);
  espMqttClientSecure& setCACert(const char* rootCA);
  espMqttClientSecure& setCertificate(const char* clientCa);
  espMqttClientSecure& setPrivateKey(const char* privateKey);
  espMqttClientSecure& setCredentials(const char* username, const char* password);
  espMqttClientSecure& setClientId(const char* clientId);
  espMqttClientSecure& setServer(const char* host, uint16_t port);
  espMqttClientSecure& setKeepAlive(uint16_t keepAlive);
  espMqttClientSecure& setCleanSession(bool cleanSession);
  espMqttClientSecure& setWill(const char* topic, uint8_t qos, bool retain, const char* payload);
  espMqttClientSecure& onConnect(espMqttClientTypes::OnConnectCallback callback);
  espMqttClientSecure& onDisconnect(espMqttClientTypes::OnDisconnectCallback callback);
  espMqttClientSecure& onMessage(espMqttClientTypes::OnMessageCallback callback);
  espMqttClientSecure& onPublish(espMqttClientTypes::OnPublishCallback callback);
  bool connect();
  bool connected();
  void loop();
  uint16_t subscribe(const char* topic, uint8_t qos);
  uint16_t publish(const char* topic, uint8_t qos, bool retain, const char* payload);

 protected:
  espMqttClientInternals::ClientSecureSync _client;
};
