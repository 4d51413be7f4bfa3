// Provisioning over the serial console (README "Provisioning"). Line editing, NVS writes and
// printing only: what a command means and whether a value is valid is decided in core/console.
#pragma once
#include <Arduino.h>

#include "config.h"
#include "console.h"
#include "store.h"

class SerialConsole {
 public:
  void begin(Store* store, uint32_t boot) {
    store_ = store;
    boot_ = boot;
    Serial.println(F("sous-vide kit " SV_FW_VERSION " - type 'help' for provisioning commands"));
  }
  // Non-blocking: consumes whatever arrived, handles complete lines.
  void poll(bool heaterOn);

 private:
  void handle(const char* line, bool heaterOn);
  void show(bool heaterOn);

  Store* store_ = nullptr;
  uint32_t boot_ = 0;
  char line_[512] = {};
  size_t len_ = 0;
  bool pem_ = false;
  sv::Key pemKey_ = sv::Key::None;
  sv::PemCollector pemBuf_;
};
