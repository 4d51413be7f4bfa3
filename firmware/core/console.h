// Serial-console provisioning (README "Provisioning"): one command per line, parsed and
// validated here so the Arduino glue only stores what this accepts in NVS.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sv {

enum class Verb : uint8_t { Empty, Help, Show, Set, Clear, Erase, Reboot, BeginPem, Error };
enum class Key : uint8_t { None, Id, Ssid, Pass, Host, Port, Secret, Ntp, Ca, Cert, PrivKey };

struct ConsoleCmd {
  Verb verb = Verb::Empty;
  Key key = Key::None;
  const char* value = "";  // points into the parsed line (rest of line after the key)
  const char* error = nullptr;
};

// `line` is one line without its newline; it is not modified and must outlive the result.
ConsoleCmd parseConsoleLine(const char* line);
// The NVS key for a setting ("id", "ssid", ...), also the word typed after "set".
const char* keyName(Key k);
// nullptr when `value` is acceptable for `k`, else why not.
const char* checkSetting(Key k, const char* value);
// PROTOCOL: device id ^[a-z0-9][a-z0-9-]{2,31}$ (and the MQTT client id equals it).
bool isDeviceId(const char* s);

// Collects a pasted PEM block line by line (set ca / set cert / set key).
class PemCollector {
 public:
  static constexpr size_t kMax = 3968;  // NVS strings hold at most 4000 bytes
  enum class Feed : uint8_t { More, Done, Error };
  void begin() { len_ = 0, buf_[0] = '\0', started_ = false; }
  Feed feed(const char* line);
  const char* text() const { return buf_; }
  size_t size() const { return len_; }

 private:
  char buf_[kMax + 1] = {};
  size_t len_ = 0;
  bool started_ = false;
};

}  // namespace sv
