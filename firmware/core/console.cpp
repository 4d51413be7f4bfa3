#include "console.h"

#include <cstdlib>
#include <cstring>

namespace sv {
namespace {

const char* const kKeys[] = {"", "id", "ssid", "pass", "host", "port", "secret", "ntp", "ca", "cert", "key"};
constexpr size_t kKeyCount = sizeof kKeys / sizeof kKeys[0];

const char* skipSpaces(const char* s) {
  while (*s == ' ' || *s == '\t') ++s;
  return s;
}

// Compares the next word of `s` with `w`; on a match returns what follows it, else nullptr.
const char* word(const char* s, const char* w) {
  size_t n = strlen(w);
  if (strncmp(s, w, n) != 0) return nullptr;
  if (s[n] != '\0' && s[n] != ' ' && s[n] != '\t') return nullptr;
  return skipSpaces(s + n);
}

Key keyOf(const char** rest) {
  for (size_t i = 1; i < kKeyCount; ++i) {
    if (const char* r = word(*rest, kKeys[i])) {
      *rest = r;
      return static_cast<Key>(i);
    }
  }
  return Key::None;
}

bool isPem(Key k) { return k == Key::Ca || k == Key::Cert || k == Key::PrivKey; }

}  // namespace

const char* keyName(Key k) { return kKeys[static_cast<size_t>(k)]; }

bool isDeviceId(const char* s) {
  size_t n = strlen(s);
  if (n < 3 || n > 32) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!ok) return false;
  }
  return true;
}

const char* checkSetting(Key k, const char* v) {
  size_t n = strlen(v);
  switch (k) {
    case Key::Id: return isDeviceId(v) ? nullptr : "id must match ^[a-z0-9][a-z0-9-]{2,31}$";
    case Key::Ssid: return n >= 1 && n <= 32 ? nullptr : "ssid must be 1-32 bytes";
    case Key::Pass: return (n >= 8 && n <= 63) || strcmp(v, "-") == 0 ? nullptr : "pass must be 8-63 chars, or - for none";
    case Key::Host: return n >= 1 && n <= 63 && strchr(v, ' ') == nullptr ? nullptr : "host must be 1-63 chars, no spaces";
    case Key::Port: {
      char* end = nullptr;
      long p = strtol(v, &end, 10);
      return n > 0 && *end == '\0' && p >= 1 && p <= 65535 ? nullptr : "port must be 1-65535";
    }
    case Key::Secret: return n >= 16 && n <= 128 ? nullptr : "secret must be 16-128 chars";
    case Key::Ntp: return n <= 63 && strchr(v, ' ') == nullptr ? nullptr : "ntp must be a host name";
    default: return "unknown setting";
  }
}

ConsoleCmd parseConsoleLine(const char* line) {
  ConsoleCmd c;
  const char* s = skipSpaces(line);
  const char* rest = nullptr;
  if (*s == '\0' || *s == '#') return c;
  if ((rest = word(s, "help")) != nullptr || (rest = word(s, "?")) != nullptr) c.verb = Verb::Help;
  else if ((rest = word(s, "show")) != nullptr) c.verb = Verb::Show;
  else if ((rest = word(s, "erase")) != nullptr) c.verb = Verb::Erase;
  else if ((rest = word(s, "reboot")) != nullptr) c.verb = Verb::Reboot;
  else if ((rest = word(s, "set")) != nullptr || (rest = word(s, "clear")) != nullptr) {
    bool set = s[0] == 's';
    c.key = keyOf(&rest);
    if (c.key == Key::None) {
      c.verb = Verb::Error;
      c.error = "unknown setting (id ssid pass host port secret ntp ca cert key)";
      return c;
    }
    c.value = rest;
    if (!set) c.verb = *rest == '\0' ? Verb::Clear : Verb::Error;
    else if (isPem(c.key)) c.verb = *rest == '\0' ? Verb::BeginPem : Verb::Error;
    else c.verb = (c.error = checkSetting(c.key, rest)) == nullptr ? Verb::Set : Verb::Error;
    if (c.verb == Verb::Error && c.error == nullptr) c.error = set ? "paste the PEM on the following lines" : "clear takes no value";
    return c;
  } else {
    c.verb = Verb::Error;
    c.error = "unknown command (type help)";
    return c;
  }
  if (*rest != '\0') {
    c.verb = Verb::Error;
    c.error = "unexpected argument";
  }
  return c;
}

PemCollector::Feed PemCollector::feed(const char* line) {
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ')) --n;
  if (!started_) {
    if (n == 0) return Feed::More;  // blank lines before the block
    if (strncmp(line, "-----BEGIN ", 11) != 0) return Feed::Error;
    started_ = true;
  }
  if (len_ + n + 1 > kMax) return Feed::Error;
  memcpy(buf_ + len_, line, n);
  len_ += n;
  buf_[len_++] = '\n';
  buf_[len_] = '\0';
  return strncmp(line, "-----END ", 9) == 0 ? Feed::Done : Feed::More;
}

}  // namespace sv
