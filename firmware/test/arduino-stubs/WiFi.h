#pragma once
#include "Arduino.h"
typedef enum { WL_IDLE_STATUS = 0, WL_CONNECTED = 3 } wl_status_t;
typedef enum { WIFI_MODE_NULL = 0, WIFI_STA = 1 } wifi_mode_t;
class WiFiClass {
 public:
  bool mode(wifi_mode_t);
  bool setAutoReconnect(bool);
  wl_status_t begin(const char* ssid, const char* passphrase = nullptr);
  wl_status_t status();
  int8_t RSSI();
};
extern WiFiClass WiFi;
void configTime(long gmtOffset_sec, int daylightOffset_sec, const char* server1, const char* server2 = nullptr,
                const char* server3 = nullptr);
