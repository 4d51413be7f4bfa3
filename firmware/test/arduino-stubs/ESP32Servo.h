#pragma once
#include "Arduino.h"
class Servo {
 public:
  void setPeriodHertz(int hertz);
  int attach(int pin, int min, int max);
  void write(int value);
  void detach();
};
