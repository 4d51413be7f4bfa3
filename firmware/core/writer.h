// Bounded JSON text writer for the encoders: never writes past `cap`, remembers overflow.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sv {

class Writer {
 public:
  Writer(char* buf, size_t cap) : buf_(buf), cap_(cap) {
    if (cap_ > 0) buf_[0] = '\0';
  }

  void ch(char c) {
    if (n_ + 1 >= cap_) {
      ok_ = false;
      return;
    }
    buf_[n_++] = c;
    buf_[n_] = '\0';
  }
  void raw(const char* s) {
    while (*s != '\0') ch(*s++);
  }
  void u64(uint64_t v) {
    char tmp[21];
    size_t i = 0;
    do {
      tmp[i++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (i > 0) ch(tmp[--i]);
  }
  void i64(int64_t v) {
    if (v < 0) ch('-');
    u64(v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v));
  }
  // A JSON string: quotes, backslashes and control characters escaped; UTF-8 passes through.
  void str(const char* s, size_t len) {
    static const char kHex[] = "0123456789abcdef";
    ch('"');
    for (size_t i = 0; i < len; ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        ch('\\');
        ch(static_cast<char>(c));
      } else if (c < 0x20) {
        raw("\\u00");
        ch(kHex[c >> 4]);
        ch(kHex[c & 15]);
      } else {
        ch(static_cast<char>(c));
      }
    }
    ch('"');
  }
  void str(const char* s) { str(s, strlen(s)); }
  // raw16 / 16 written exactly: 1/16 = 0.0625, so four decimals always suffice.
  void sixteenths(int32_t raw16) {
    if (raw16 < 0) ch('-');
    uint32_t a = static_cast<uint32_t>(raw16 < 0 ? -raw16 : raw16);
    u64(a / 16);
    uint32_t frac = (a % 16) * 625;  // 0…9375 ten-thousandths
    if (frac == 0) return;
    char d[4] = {static_cast<char>('0' + frac / 1000), static_cast<char>('0' + frac / 100 % 10),
                 static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
    size_t keep = 4;
    while (d[keep - 1] == '0') --keep;
    ch('.');
    for (size_t i = 0; i < keep; ++i) ch(d[i]);
  }

  bool ok() const { return ok_; }
  size_t size() const { return ok_ ? n_ : 0; }

 private:
  char* buf_;
  size_t cap_;
  size_t n_ = 0;
  bool ok_ = true;
};

}  // namespace sv
