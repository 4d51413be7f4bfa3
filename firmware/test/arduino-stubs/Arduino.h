// Declarations-only stand-ins for the Arduino-ESP32 APIs the glue in src/ uses, so that the
// host can at least type-check src/*.cpp (g++ -fsyntax-only). They mirror the real signatures
// of Arduino-ESP32 2.0.x and the pinned libraries; they are not an emulator and link nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#define F(s) (reinterpret_cast<const __FlashStringHelper*>(s))
#define HIGH 1
#define LOW 0
#define OUTPUT 3
class __FlashStringHelper;

class String {
 public:
  String(const char* s = "") : s_(s) {}
  const char* c_str() const { return s_.c_str(); }
  unsigned length() const { return static_cast<unsigned>(s_.size()); }
  long toInt() const;
  bool operator==(const char* o) const { return s_ == o; }

 private:
  std::string s_;
};

class HardwareSerial {
 public:
  void begin(unsigned long baud);
  int available();
  int read();
  void flush();
  size_t print(const char*);
  size_t print(const __FlashStringHelper*);
  size_t println(const char*);
  size_t println(const String&);
  size_t println(const __FlashStringHelper*);
  size_t printf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
};
extern HardwareSerial Serial;

class EspClass {
 public:
  void restart();
};
extern EspClass ESP;

unsigned long millis();
void delay(uint32_t ms);
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
