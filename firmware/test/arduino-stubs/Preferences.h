#pragma once
#include "Arduino.h"
class Preferences {
 public:
  bool begin(const char* name, bool readOnly = false, const char* partition = nullptr);
  bool clear();
  bool remove(const char* key);
  size_t putUInt(const char* key, uint32_t value);
  size_t putBool(const char* key, bool value);
  size_t putString(const char* key, const char* value);
  size_t putBytes(const char* key, const void* value, size_t len);
  size_t getBytesLength(const char* key);
  size_t getBytes(const char* key, void* buf, size_t maxLen);
  bool isKey(const char* key);
  uint32_t getUInt(const char* key, uint32_t defaultValue = 0);
  bool getBool(const char* key, bool defaultValue = false);
  String getString(const char* key, String defaultValue = String());
};
