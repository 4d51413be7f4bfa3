// The JSON reader accepts exactly JSON.parse's language (the contract test checks the rest).
#include <cstdio>
#include <cstring>
#include <string>

#include "../core/json.h"
#include "runner.h"

using sv::json::Doc;
using sv::json::Status;
using sv::json::Type;

namespace {

Doc doc;

Status parse(const std::string& s) { return sv::json::parse(s.data(), s.size(), doc); }

std::string str(const char* key) {
  const sv::json::Member* m = doc.find(key);
  return m ? std::string(doc.str(m->value.strOff), m->value.strLen) : std::string("<missing>");
}

}  // namespace

TEST(json_accepts_objects_and_keeps_members) {
  CHECK(parse(" {\"a\" : 1.5e1 ,\"b\":\"x\",\"c\":null,\"d\":true,\"e\":[1,{\"f\":[]}],\"g\":{}}\r\n") == Status::Object);
  CHECK_EQ(doc.count, 6);
  CHECK(doc.find("a")->value.number == 15);
  CHECK_STR(str("b"), "x");
  CHECK(doc.find("c")->value.type == Type::Null);
  CHECK(doc.find("d")->value.boolean);
  CHECK(doc.find("e")->value.type == Type::Array);
  CHECK(doc.find("g")->value.type == Type::Object);
  CHECK(doc.find("zz") == nullptr);
}

TEST(json_rejects_what_json_parse_rejects) {
  const char* bad[] = {"", " ", "{", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}",
                       "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":NaN}",
                       "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}", "{\"a\":1}x", "{\"a\":[1,]}",
                       "{\"a\":[1 2]}", "{\"a\":{\"b\"}}", "\xEF\xBB\xBF{}", "{\"a\":1}}", "[", "[[[]]"};
  for (const char* b : bad) {
    if (!CHECK(parse(b) == Status::Syntax)) printf("  #   input: %s\n", b);
  }
}

TEST(json_non_objects_are_valid_json_but_not_objects) {
  const char* others[] = {"[1,2,3]", "\"hello\"", "null", "42", "true", " [ {\"a\":[[[]]]} ] "};
  for (const char* o : others) CHECK(parse(o) == Status::NotObject);
}

TEST(json_decodes_escapes_and_surrogates) {
  CHECK(parse("{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"u\":\"\\u0041\\u00e9\\ud83d\\ude00\",\"l\":\"\\ud800x\"}") == Status::Object);
  CHECK_STR(str("s"), "a\"b\\c/d\b\f\n\r\t");
  CHECK_STR(str("u"), "A\xC3\xA9\xF0\x9F\x98\x80");
  CHECK_STR(str("l"), "\xED\xA0\x80x");  // a lone surrogate stays one code point
  CHECK_EQ(sv::json::codePoints(doc.str(doc.find("u")->value.strOff), doc.find("u")->value.strLen), 3);
  CHECK(parse("{\"\\u0076\":1}") == Status::Object);
  CHECK(doc.find("v") != nullptr);  // escaped keys are compared decoded
}

std::string dupPath() { return std::string(doc.dupPath, doc.dupPathLen); }

TEST(json_repeated_key_is_refused_and_keeps_its_first_value) {
  CHECK(parse("{\"a\":1,\"b\":2,\"a\":3}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "a");
  CHECK_EQ(doc.count, 2);
  CHECK_STR(std::string(doc.str(doc.members[0].keyOff), doc.members[0].keyLen), "a");
  CHECK(doc.members[0].value.number == 1);  // never the later value JSON.parse would keep
  CHECK(parse("{\"a\":1,\"b\":2,\"b\":3,\"a\":4}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "b");  // the first repetition in input order
  CHECK(parse("{\"a\":1,\"ab\":2,\"b\":3,\"A\":4}") == Status::Object);
  CHECK(parse("{\"a\":1,\"a\":2") == Status::Syntax);  // not JSON comes first
  CHECK(parse("[{\"a\":1,\"a\":2}]") == Status::NotObject);
}

TEST(json_repeated_keys_compare_decoded) {
  CHECK(parse("{\"tempC\":1,\"temp\\u0043\":2}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "tempC");
  CHECK(parse("{\"\\ud83d\\ude00\":1,\"\xF0\x9F\x98\x80\":2}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "\xF0\x9F\x98\x80");
  CHECK(parse("{\"a\\\"\":1,\"a\":2}") == Status::Object);  // an escaped quote is part of the key
}

TEST(json_nested_objects_have_their_own_keys_and_a_path) {
  CHECK(parse("{\"a\":{\"x\":1},\"b\":{\"x\":2},\"x\":3}") == Status::Object);
  CHECK(parse("{\"a\":{\"x\":1,\"y\":{\"z\":1},\"x\":2}}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "a.x");
  CHECK(parse("{\"r\":[1,\"x\",[{\"a\":1}],{\"b\":1,\"b\":2}]}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "r.3.b");
  CHECK(parse("{\"r\":[[],[{\"a\":1,\"a\":1}]]}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "r.1.0.a");
  CHECK(parse("{\"r\":[{},\"a\",\"a\"],\"a\":1}") == Status::Object);  // strings in an array are not keys
  CHECK(parse("{\"a\":\"\\\"a\\\":1\",\"b\":\"a\"}") == Status::Object);  // nor is text inside a value
  CHECK(parse("{\"o\\u0062j\":{\"k\":1,\"k\":2}}") == Status::DuplicateKey);
  CHECK_STR(dupPath(), "obj.k");
}

TEST(json_deep_nesting_needs_no_recursion) {
  std::string deep = "{\"a\":" + std::string(500, '[') + std::string(500, ']') + "}";
  CHECK(parse(deep) == Status::Object);
  CHECK(parse("{\"a\":" + std::string(500, '[') + std::string(499, ']') + "}") == Status::Syntax);
}

TEST(json_many_keys_overflow_is_flagged) {
  std::string s = "{";
  for (int i = 0; i < 40; ++i) s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  CHECK(parse(s + "}") == Status::Object);
  CHECK_EQ(doc.count, sv::json::kMaxMembers);
  CHECK(doc.overflow);
}

TEST(json_numbers_match_javascript) {
  CHECK(parse("{\"a\":-0,\"b\":1E2,\"c\":1e400,\"d\":58.31,\"e\":0.0625}") == Status::Object);
  CHECK(doc.find("a")->value.number == 0);
  CHECK(doc.find("b")->value.number == 100);
  CHECK(doc.find("c")->value.number > 1e308);  // Infinity, as in JSON.parse
  CHECK(doc.find("d")->value.number == 58.31);
  CHECK(doc.find("e")->value.number == 0.0625);
}

TEST(utf8_validation_matches_fatal_text_decoder) {
  const char* good[] = {"", "abc", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "\xEF\xBB\xBF"};
  const char* bad[] = {"\x80", "\xC0\xAF", "\xC3", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF", "a\xE2\x82"};
  for (const char* g : good) CHECK(sv::json::validUtf8(g, strlen(g)));
  for (const char* b : bad) CHECK(!sv::json::validUtf8(b, strlen(b)));
}
