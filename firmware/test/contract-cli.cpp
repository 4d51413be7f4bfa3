// The C++ half of the cross-language contract test (test/contract.test.ts).
//   --validate: reads "<kind> <payload as hex>" lines, prints one JSON verdict per line.
//   --encode:   prints "<kind>\t<name>\t<expected tempC ×16 or ->\t<payload>" lines for a sweep
//               of messages the core encodes, each also checked by the core's own validator.
//   --press-contract: reads "<believed on 0|1> <press|safe> <on|off|-> <redelivered 0|1> <expired 0|1>"
//               lines (the cases of shared/fixtures/kit-contract-v1.json), replays each on a fresh
//               Kit and prints {"presses":N,"acks":[...],"heater":bool} per line.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "../core/kit.h"
#include "../core/messages.h"
#include "../core/schema.h"
#include "../core/writer.h"
#include "encode-cases.h"

namespace {

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A JSON string for the report. Lone surrogates (kept as 3-byte WTF-8 by the reader) are
// written as \uXXXX escapes so that the TypeScript side reads back the same key.
std::string jsonStr(const char* s, size_t n) {
  std::string out;
  size_t start = 0;
  auto flush = [&](size_t end) {
    char buf[8 * 1024];
    sv::Writer w(buf, sizeof buf);
    w.str(s + start, end - start);
    out += std::string(buf + 1, strlen(buf) - 2);  // without the quotes
  };
  for (size_t i = 0; i + 2 < n; ++i) {
    unsigned char a = static_cast<unsigned char>(s[i]), b = static_cast<unsigned char>(s[i + 1]);
    if (a != 0xED || b < 0xA0 || b > 0xBF) continue;
    flush(i);
    unsigned unit = 0xD000u | ((b & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    char esc[8];
    snprintf(esc, sizeof esc, "\\u%04x", unit);
    out += esc;
    i += 2;
    start = i + 1;
  }
  flush(n);
  return "\"" + out + "\"";
}

std::string commandJson(const sv::Command& c) {
  char buf[512];
  const char* expect = c.expect == sv::Expect::None ? "null" : c.expect == sv::Expect::On ? "\"on\"" : "\"off\"";
  std::string sent = c.hasSentTs ? std::to_string(c.sentTs) : "null";
  char maxC[40] = "null";
  if (c.hasMaxC) snprintf(maxC, sizeof maxC, "%.17g", c.maxC);
  snprintf(buf, sizeof buf, "{\"id\":%s,\"op\":\"%s\",\"expect\":%s,\"ttlMs\":%u,\"sentTs\":%s,\"maxC\":%s}",
           jsonStr(c.id, strlen(c.id)).c_str(), c.op == sv::Op::Press ? "press" : "safe", expect,
           static_cast<unsigned>(c.ttlMs), sent.c_str(), maxC);
  return buf;
}

}  // namespace

int contractValidate() {
  static sv::json::Doc doc;
  std::string line;
  while (std::getline(std::cin, line)) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos) {
      printf("{\"error\":\"bad input line\"}\n");
      continue;
    }
    std::string kindName = line.substr(0, sp), hex = line.substr(sp + 1), bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(hexVal(hex[i]) * 16 + hexVal(hex[i + 1])));
    sv::Kind kind;
    if (!sv::kindFromName(kindName.c_str(), &kind)) {
      printf("{\"error\":\"unknown kind\"}\n");
      continue;
    }
    sv::Verdict v;
    std::string extra;
    if (kind == sv::Kind::Cmd) {
      sv::Command c;
      if (sv::decodeCommand(bytes.data(), bytes.size(), c, v, doc)) extra = ",\"cmd\":" + commandJson(c);
    } else {
      sv::validate(kind, bytes.data(), bytes.size(), doc, v);
    }
    std::string fields;
    for (size_t i = 0; i < v.count; ++i) fields += (i ? "," : "") + jsonStr(v.issues[i].field, v.issues[i].fieldLen);
    printf("{\"ok\":%s,\"code\":\"%s\",\"total\":%zu,\"fields\":[%s]%s}\n", v.ok() ? "true" : "false", sv::codeName(v.code),
           v.total, fields.c_str(), extra.c_str());
    fflush(stdout);
  }
  return 0;
}

int contractEncode() {
  static sv::json::Doc doc;
  int bad = 0;
  forEachEncodeCase([&](sv::Kind kind, const std::string& name, long expectRaw, const char* payload, size_t len) {
    static const char* const kNames[] = {"telemetry", "status", "cmd", "ack"};
    sv::Verdict v;
    sv::validate(kind, payload, len, doc, v);
    if (len == 0 || !v.ok()) ++bad;
    std::string label = name;
    for (char& ch : label) ch = (ch == '\t' || ch == '\n') ? ' ' : ch;
    std::string expect = expectRaw == kNoTemp ? "-" : std::to_string(expectRaw);
    printf("%s\t%s\t%s\t%s\t%s\n", kNames[static_cast<int>(kind)], label.c_str(), expect.c_str(), v.ok() ? "self-ok" : "self-bad",
           len == 0 ? "(encoder refused)" : payload);
  });
  return bad == 0 ? 0 : 1;
}

// One kit-contract case on a fresh Kit: the command goes through the same JSON decoder and press
// scheduler as on the device; a redelivery (same id) arrives 100 ms later, while the servo moves.
static std::string pressCase(bool believedOn, const std::string& op, const std::string& expect, bool redelivered, bool expired) {
  const uint64_t epoch = 1763798400000ULL;  // a synced clock: expiry counts from sentTs
  sv::Kit kit;
  uint32_t now = 1000;
  kit.begin(7, believedOn, now);
  std::string payload = "{\"v\":1,\"id\":\"c-contract-1\",\"op\":\"" + op + "\"";
  if (op == "press") payload += ",\"expect\":\"" + expect + "\"";
  payload += ",\"ttlMs\":5000,\"sentTs\":" + std::to_string(expired ? epoch - 6000 : epoch) + "}";
  int presses = 0;
  std::string acks;
  auto run = [&](uint32_t ms) {
    for (uint32_t end = now + ms; now < end; now += 10) {
      if (kit.tick(now).servo == sv::ServoOp::Press) ++presses;
      sv::Ack a;
      while (kit.popAck(a)) {
        acks += std::string(acks.empty() ? "" : ",") + "{\"id\":" + jsonStr(a.id, strlen(a.id)) + ",\"ok\":" + (a.ok ? "true" : "false") +
                ",\"heater\":" + (a.heater ? "true" : "false") + (a.ok ? "" : ",\"err\":" + jsonStr(a.err, strlen(a.err))) + "}";
      }
    }
  };
  kit.onCommand(payload.data(), payload.size(), now, epoch + (now - 1000));
  run(100);
  if (redelivered) kit.onCommand(payload.data(), payload.size(), now, epoch + (now - 1000));
  run(5000);
  return "{\"presses\":" + std::to_string(presses) + ",\"acks\":[" + acks + "],\"heater\":" + (kit.heater() ? "true" : "false") + "}";
}

int contractPress() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    int before = 0, redelivered = 0, expired = 0;
    std::string op, expect;
    if (!(in >> before >> op >> expect >> redelivered >> expired) || (op != "press" && op != "safe") ||
        (op == "press" && expect != "on" && expect != "off")) {
      printf("{\"error\":\"bad input line\"}\n");
      continue;
    }
    printf("%s\n", pressCase(before != 0, op, expect, redelivered != 0, expired != 0).c_str());
    fflush(stdout);
  }
  return 0;
}
