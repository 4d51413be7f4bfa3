#include "messages.h"

#include <cstring>

#include "writer.h"

namespace sv {
namespace {

constexpr uint64_t kMaxEpochMs = 8640000000000000ULL;  // EpochMs max in messages.ts

size_t finish(Writer& w) { return w.ok() ? w.size() : 0; }

void copyStr(const json::Doc& doc, const json::Value& v, char* out, size_t cap) {
  size_t n = v.strLen < cap - 1 ? v.strLen : cap - 1;
  memcpy(out, doc.str(v.strOff), n);
  out[n] = '\0';
}

}  // namespace

const char* sensorName(SensorState s) {
  switch (s) {
    case SensorState::Ok: return "ok";
    case SensorState::Disconnected: return "disconnected";
    case SensorState::Por: return "por";
    case SensorState::Crc: return "crc";
    case SensorState::Range: return "range";
  }
  return "disconnected";
}

bool validCommandId(const char* s, size_t len) {
  if (len == 0 || len > kIdMax) return false;
  for (size_t i = 0; i < len; ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

size_t encodeTelemetry(const Telemetry& t, char* out, size_t cap) {
  // PROTOCOL: tempC is a number exactly when sensor is "ok", and always within -10…110.
  SensorState sensor = t.sensor;
  if (sensor == SensorState::Ok && (t.raw16 < kRawMin || t.raw16 > kRawMax)) sensor = SensorState::Range;
  Writer w(out, cap);
  w.raw("{\"v\":1,\"boot\":");
  w.u64(t.boot);
  w.raw(",\"seq\":");
  w.u64(t.seq);
  w.raw(",\"ts\":");
  if (t.hasTs && t.ts <= kMaxEpochMs) w.u64(t.ts);
  else w.raw("null");  // PROTOCOL: no synced clock; the gateway uses its receive time
  w.raw(",\"tempC\":");
  if (sensor == SensorState::Ok) w.sixteenths(t.raw16);
  else w.raw("null");
  w.raw(",\"sensor\":");
  w.str(sensorName(sensor));
  w.raw(t.heater ? ",\"heater\":true" : ",\"heater\":false");
  if (t.hasRssi && t.rssi >= -127 && t.rssi <= 0) {  // rssi is optional: omit a bogus value
    w.raw(",\"rssi\":");
    w.i64(t.rssi);
  }
  w.ch('}');
  return finish(w);
}

size_t encodeStatus(const Status& s, char* out, size_t cap) {
  size_t fwLen = s.fw != nullptr ? strlen(s.fw) : 0;
  size_t cps = json::codePoints(s.fw, fwLen);
  if (cps < 1 || cps > 32 || !json::validUtf8(s.fw, fwLen)) return 0;
  Writer w(out, cap);
  w.raw(s.online ? "{\"v\":1,\"state\":\"online\",\"boot\":" : "{\"v\":1,\"state\":\"offline\",\"boot\":");
  w.u64(s.boot);
  w.raw(",\"fw\":");
  w.str(s.fw, fwLen);
  w.raw(",\"profile\":\"toggle\"}");  // PROTOCOL: the servo toggles the power button
  return finish(w);
}

size_t encodeAck(const Ack& a, char* out, size_t cap) {
  size_t idLen = strnlen(a.id, sizeof a.id);
  if (!validCommandId(a.id, idLen)) return 0;
  // PROTOCOL: a refusal carries a short reason; the schema requires one when ok is false.
  const char* err = a.err[0] != '\0' ? a.err : (a.ok ? "" : "refused");
  size_t errLen = strnlen(err, kErrMax);
  if (!json::validUtf8(err, errLen)) return 0;
  Writer w(out, cap);
  w.raw("{\"v\":1,\"id\":");
  w.str(a.id, idLen);
  w.raw(a.ok ? ",\"ok\":true" : ",\"ok\":false");
  w.raw(a.heater ? ",\"heater\":true" : ",\"heater\":false");
  if (errLen > 0) {
    w.raw(",\"err\":");
    w.str(err, errLen);
  }
  w.ch('}');
  return finish(w);
}

bool decodeCommand(const char* payload, size_t len, Command& out, Verdict& v, json::Doc& doc) {
  out = Command{};
  validate(Kind::Cmd, payload, len, doc, v);
  // The id of a command refused on its fields (or a repeated key other than "id") is still read,
  // so that the refusal can be acked.
  bool fieldsRead = v.code == Code::Invalid || v.code == Code::DuplicateKey;
  if (!fieldsRead && !v.ok()) return false;
  bool idRepeated = v.code == Code::DuplicateKey && v.issues[0].fieldLen == 2 && memcmp(v.issues[0].field, "id", 2) == 0;
  const json::Member* id = idRepeated ? nullptr : doc.find("id");
  if (id != nullptr && id->value.type == json::Type::String && validCommandId(doc.str(id->value.strOff), id->value.strLen)) {
    copyStr(doc, id->value, out.id, sizeof out.id);
  }
  if (!v.ok()) return false;
  out.op = doc.find("op")->value.strLen == 5 ? Op::Press : Op::Safe;  // "press" | "safe"
  if (const json::Member* e = doc.find("expect")) out.expect = e->value.strLen == 2 ? Expect::On : Expect::Off;
  out.ttlMs = static_cast<uint32_t>(doc.find("ttlMs")->value.number);
  if (const json::Member* s = doc.find("sentTs")) {
    out.hasSentTs = true;
    out.sentTs = static_cast<uint64_t>(s->value.number);
  }
  if (const json::Member* m = doc.find("maxC")) {
    out.hasMaxC = true;
    out.maxC = m->value.number;
  }
  return true;
}

}  // namespace sv

