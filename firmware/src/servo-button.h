// SG90 on the cooker's power button. The core says when (core/press); this only moves.
// Attached for a press, detached after it: no holding torque needed at rest, less wear,
// no jitter, and ~10 mA instead of a servo fighting its own noise.
#pragma once
#include <ESP32Servo.h>

#include "config.h"
#include "press.h"

class ServoButton {
 public:
  void apply(sv::ServoOp op) {
    switch (op) {
      case sv::ServoOp::None: return;
      case sv::ServoOp::Press:
        servo_.setPeriodHertz(50);
        servo_.attach(cfg::kPinServo, cfg::kServoMinUs, cfg::kServoMaxUs);
        servo_.write(cfg::kServoPressDeg);
        return;
      case sv::ServoOp::Release: servo_.write(cfg::kServoRestDeg); return;
      case sv::ServoOp::Detach: servo_.detach(); return;
    }
  }
  // At boot (ADR 086): a reset may have left the horn on the button. Back to rest, then detach.
  // Blocking (setup only, well under the watchdog).
  void rest() {
    servo_.setPeriodHertz(50);
    servo_.attach(cfg::kPinServo, cfg::kServoMinUs, cfg::kServoMaxUs);
    servo_.write(cfg::kServoRestDeg);
    delay(cfg::kServoReturnMs);
    servo_.detach();
  }

 private:
  Servo servo_;
};
