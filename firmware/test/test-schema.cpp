// The v1 validator: each rule of messages.ts, and the issue order zod reports.
#include <string>

#include "../core/messages.h"
#include "../core/schema.h"
#include "runner.h"

namespace {

sv::json::Doc doc;

// "code field,field,..." for compact expectations.
std::string verdict(sv::Kind k, const std::string& p) {
  sv::Verdict v;
  sv::validate(k, p.data(), p.size(), doc, v);
  std::string s = v.ok() ? "ok" : sv::codeName(v.code);
  for (size_t i = 0; i < v.count; ++i) s += (i ? "," : " ") + std::string(v.issues[i].field, v.issues[i].fieldLen);
  return s;
}

const std::string kTel = R"({"v":1,"boot":7,"seq":1,"ts":null,"tempC":58.31,"sensor":"ok","heater":true)";

}  // namespace

TEST(schema_telemetry_accepts_the_protocol_example) {
  CHECK_STR(verdict(sv::Kind::Telemetry, kTel + ",\"rssi\":-61}"), "ok");
  CHECK_STR(verdict(sv::Kind::Telemetry, kTel + "}"), "ok");
}

TEST(schema_size_utf8_json_and_root_checks_come_first) {
  CHECK_STR(verdict(sv::Kind::Telemetry, kTel + ",\"p\":\"" + std::string(1000, 'x') + "\"}"), "SV_ERR_PAYLOAD_TOO_LARGE (root)");
  CHECK_STR(verdict(sv::Kind::Telemetry, "{\"v\":\"\xC3\x28\"}"), "SV_ERR_PAYLOAD_NOT_UTF8 (root)");
  CHECK_STR(verdict(sv::Kind::Telemetry, "{\"v\":"), "SV_ERR_PAYLOAD_NOT_JSON (root)");
  CHECK_STR(verdict(sv::Kind::Telemetry, "[1]"), "SV_ERR_PAYLOAD_INVALID (root)");
}

TEST(schema_repeated_key_is_refused_before_the_schema_and_named) {
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":7,"seq":1,"ts":null,"tempC":200,"sensor":"ok","heater":true,"tempC":50})"),
            "SV_ERR_PAYLOAD_DUPLICATE_KEY tempC");
  CHECK_STR(verdict(sv::Kind::Status, R"({"v":2,"state":"online","boot":7,"fw":"1.0.0","profile":"toggle","boot":8})"),
            "SV_ERR_PAYLOAD_DUPLICATE_KEY boot");  // not the schema's complaint about v
  CHECK_STR(verdict(sv::Kind::Ack, R"({"v":1,"id":"c-1","ok":false,"heater":false,"err":[{"code":1},{"code":2,"code":3}]})"),
            "SV_ERR_PAYLOAD_DUPLICATE_KEY err.1.code");
  sv::Verdict v;
  std::string p = kTel + ",\"temp\\u0043\":1}";
  sv::validate(sv::Kind::Telemetry, p.data(), p.size(), doc, v);
  CHECK_STR(v.issues[0].reason, "duplicate_key (appears more than once)");
  CHECK_EQ(v.total, 1);
}

TEST(schema_telemetry_refinement_ties_tempC_to_sensor) {
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":7,"seq":1,"ts":null,"tempC":null,"sensor":"ok","heater":true})"),
            "SV_ERR_PAYLOAD_INVALID tempC");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":7,"seq":1,"ts":null,"tempC":85,"sensor":"por","heater":true})"),
            "SV_ERR_PAYLOAD_INVALID tempC");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":7,"seq":1,"ts":null,"tempC":null,"sensor":"crc","heater":true})"), "ok");
}

TEST(schema_issue_order_is_shape_then_unknown_then_refinements) {
  // zod: fields in schema order, then unknown keys (array indices first), then refinements.
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"zzz":1,"v":1,"boot":-1,"seq":0,"ts":null,"tempC":null,"sensor":"ok","heater":true,"5":0,"1":0})"),
            "SV_ERR_PAYLOAD_INVALID boot,1,5,zzz,tempC");
  // A type error aborts the refinements; a range error does not.
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":0,"seq":0,"ts":null,"tempC":null,"sensor":"ok","heater":1})"),
            "SV_ERR_PAYLOAD_INVALID heater");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":1.5,"seq":0,"ts":null,"tempC":null,"sensor":"ok","heater":true})"),
            "SV_ERR_PAYLOAD_INVALID boot");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":9007199254740992,"seq":0,"ts":null,"tempC":1,"sensor":"ok","heater":true})"),
            "SV_ERR_PAYLOAD_INVALID boot,boot");
}

TEST(schema_ranges_and_types) {
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":7,"seq":1,"ts":null,"tempC":110.0001,"sensor":"ok","heater":true})"),
            "SV_ERR_PAYLOAD_INVALID tempC");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":7,"seq":1,"ts":-1,"tempC":1,"sensor":"ok","heater":true,"rssi":-128})"),
            "SV_ERR_PAYLOAD_INVALID ts,rssi");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1,"boot":1e400,"seq":1,"ts":1,"tempC":1,"sensor":"ok","heater":true})"),
            "SV_ERR_PAYLOAD_INVALID boot");
  CHECK_STR(verdict(sv::Kind::Telemetry, R"({"v":1.0,"boot":-0,"seq":1E2,"ts":null,"tempC":null,"sensor":"\u0063rc","heater":false})"), "ok");
}

TEST(schema_command_rules) {
  CHECK_STR(verdict(sv::Kind::Cmd, R"({"v":1,"id":"c-01J9Z3K7Q2","op":"press","expect":"on","ttlMs":5000})"), "ok");
  CHECK_STR(verdict(sv::Kind::Cmd, R"({"v":1,"id":"c-1","op":"press","ttlMs":5000})"), "SV_ERR_PAYLOAD_INVALID expect");
  CHECK_STR(verdict(sv::Kind::Cmd, R"({"v":1,"id":"c-1","op":"safe","expect":"off","ttlMs":5000})"), "SV_ERR_PAYLOAD_INVALID expect");
  CHECK_STR(verdict(sv::Kind::Cmd, R"({"v":1,"id":"","op":"safe","ttlMs":99,"q":1})"), "SV_ERR_PAYLOAD_INVALID id,id,ttlMs,q");
  CHECK_STR(verdict(sv::Kind::Cmd, R"({"v":1,"id":"c/1","op":"safe","ttlMs":600001,"maxC":19.99})"), "SV_ERR_PAYLOAD_INVALID id,ttlMs,maxC");
  CHECK_STR(verdict(sv::Kind::Cmd, R"({"v":1,"id":"c","op":"boil","ttlMs":100,"sentTs":8640000000000001})"), "SV_ERR_PAYLOAD_INVALID op,sentTs");
  CHECK_STR(verdict(sv::Kind::Cmd, "{\"v\":1,\"id\":\"" + std::string(41, 'c') + "\",\"op\":\"safe\",\"ttlMs\":100}"), "SV_ERR_PAYLOAD_INVALID id");
}

TEST(schema_status_and_ack_rules) {
  CHECK_STR(verdict(sv::Kind::Status, R"({"v":1,"state":"offline","boot":7,"fw":"1.0.0","profile":"toggle"})"), "ok");
  CHECK_STR(verdict(sv::Kind::Status, R"({})"), "SV_ERR_PAYLOAD_INVALID v,state,boot,fw,profile");
  // Length is counted in code points, as zod and JSON Schema do (an emoji is one).
  std::string emoji32;
  for (int i = 0; i < 32; ++i) emoji32 += "\\ud83d\\ude00";
  CHECK_STR(verdict(sv::Kind::Status, R"({"v":1,"state":"online","boot":7,"fw":")" + emoji32 + R"(","profile":"toggle"})"), "ok");
  CHECK_STR(verdict(sv::Kind::Status, R"({"v":1,"state":"online","boot":7,"fw":")" + emoji32 + R"(x","profile":"toggle"})"),
            "SV_ERR_PAYLOAD_INVALID fw");
  CHECK_STR(verdict(sv::Kind::Ack, R"({"v":1,"id":"c-1","ok":false,"heater":true})"), "SV_ERR_PAYLOAD_INVALID err");
  CHECK_STR(verdict(sv::Kind::Ack, R"({"v":1,"id":"c-1","ok":false,"heater":true,"err":""})"), "SV_ERR_PAYLOAD_INVALID err");
  CHECK_STR(verdict(sv::Kind::Ack, R"({"v":1,"id":"c-1","ok":true,"heater":true,"err":[]})"), "SV_ERR_PAYLOAD_INVALID err,err");
}

TEST(decode_command_fills_every_field) {
  sv::Command c;
  sv::Verdict v;
  std::string p = R"({"v":1,"id":"c-9","op":"safe","ttlMs":5000,"sentTs":1763798400123,"maxC":72.5})";
  CHECK(sv::decodeCommand(p.data(), p.size(), c, v, doc));
  CHECK_STR(c.id, "c-9");
  CHECK(c.op == sv::Op::Safe && c.expect == sv::Expect::None);
  CHECK_EQ(c.ttlMs, 5000);
  CHECK(c.hasSentTs && c.sentTs == 1763798400123ULL);
  CHECK(c.hasMaxC && c.maxC == 72.5);
  p = R"({"v":1,"id":"c-10","op":"press","expect":"off","ttlMs":100})";
  CHECK(sv::decodeCommand(p.data(), p.size(), c, v, doc));
  CHECK(c.op == sv::Op::Press && c.expect == sv::Expect::Off && !c.hasSentTs && !c.hasMaxC);
}

TEST(decode_command_keeps_the_id_of_an_invalid_command) {
  sv::Command c;
  sv::Verdict v;
  std::string p = R"({"v":1,"id":"c-11","op":"press","ttlMs":5000,"extra":true})";
  CHECK(!sv::decodeCommand(p.data(), p.size(), c, v, doc));
  CHECK_STR(c.id, "c-11");  // so the device can refuse it by ack
  p = R"({"v":1,"id":"c/11","op":"press","expect":"on","ttlMs":5000})";
  CHECK(!sv::decodeCommand(p.data(), p.size(), c, v, doc));
  CHECK_STR(c.id, "");
  p = "not json";
  CHECK(!sv::decodeCommand(p.data(), p.size(), c, v, doc));
  CHECK_STR(c.id, "");
}

TEST(schema_one_leading_bom_is_dropped_like_text_decoder) {
  const std::string ok = R"({"v":1,"state":"online","boot":7,"fw":"1.0.0","profile":"toggle"})";
  CHECK_STR(verdict(sv::Kind::Status, "\xEF\xBB\xBF" + ok), "ok");
  CHECK_STR(verdict(sv::Kind::Status, "\xEF\xBB\xBF\xEF\xBB\xBF" + ok), "SV_ERR_PAYLOAD_NOT_JSON (root)");
}
