#include "core/json_value.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lp {

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  JsonValue parse_document() {
    skip_ws();
    JsonValue v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected characters after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 256;  // keeps hostile input from overflowing the stack
  const std::string& s_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw JsonError("JSON parse error at line " + std::to_string(line) + ", column " +
                    std::to_string(col) + ": " + what);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool consume_literal(const char* lit) {
    size_t n = std::char_traits<char>::length(lit);
    if (s_.compare(pos_, n, lit) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }

  JsonValue parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    if (pos_ >= s_.size()) fail("unexpected end of input");
    JsonValue v;
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v.type_ = JsonValue::Type::Object;
      v.object_ = std::make_shared<JsonValue::Object>();
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return v;
      }
      while (true) {
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
        std::string key = parse_string();
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':' after key \"" + key + "\"");
        ++pos_;
        skip_ws();
        (*v.object_)[key] = parse_value(depth + 1);
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == '}') {
          ++pos_;
          return v;
        }
        fail("expected ',' or '}' in object");
      }
    }
    if (c == '[') {
      ++pos_;
      v.type_ = JsonValue::Type::Array;
      v.array_ = std::make_shared<JsonValue::Array>();
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return v;
      }
      while (true) {
        skip_ws();
        v.array_->push_back(parse_value(depth + 1));
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ']') {
          ++pos_;
          return v;
        }
        fail("expected ',' or ']' in array");
      }
    }
    if (c == '"') {
      v.type_ = JsonValue::Type::String;
      v.string_ = parse_string();
      return v;
    }
    if (consume_literal("true")) {
      v.type_ = JsonValue::Type::Bool;
      v.bool_ = true;
      return v;
    }
    if (consume_literal("false")) {
      v.type_ = JsonValue::Type::Bool;
      return v;
    }
    if (consume_literal("null")) return v;
    // Python's json module writes NaN / Infinity for non-finite floats; accept them.
    if (consume_literal("NaN")) {
      v.type_ = JsonValue::Type::Number;
      v.number_ = std::nan("");
      return v;
    }
    if (consume_literal("Infinity")) {
      v.type_ = JsonValue::Type::Number;
      v.number_ = INFINITY;
      return v;
    }
    if (consume_literal("-Infinity")) {
      v.type_ = JsonValue::Type::Number;
      v.number_ = -INFINITY;
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      if (s_[pos_] == '-') ++pos_;
      auto digits = [&] {
        size_t d0 = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
        return pos_ > d0;
      };
      if (!digits()) fail("invalid number");
      if (pos_ < s_.size() && s_[pos_] == '.') {
        ++pos_;
        if (!digits()) fail("invalid number");
      }
      if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
        if (!digits()) fail("invalid number");
      }
      v.type_ = JsonValue::Type::Number;
      // strtod is locale dependent in theory; the C locale is what C++ programs start with.
      v.number_ = std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr);
      return v;
    }
    fail(std::string("unexpected character '") + c + "'");
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  uint32_t parse_hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else fail("invalid \\u escape");
    }
    return v;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // surrogate pair
            if (s_.compare(pos_, 2, "\\u") != 0) fail("unpaired surrogate");
            pos_ += 2;
            uint32_t lo = parse_hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(std::string("invalid escape '\\") + e + "'");
      }
    }
  }
};

JsonValue JsonValue::parse(const std::string& text) { return JsonParser(text).parse_document(); }

JsonValue JsonValue::parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JsonError(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return parse(ss.str());
  } catch (const JsonError& e) {
    throw JsonError(path + ": " + e.what());
  }
}

const char* JsonValue::type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "?";
}

static JsonError type_error(JsonValue::Type want, JsonValue::Type got) {
  return JsonError(std::string("expected a JSON ") + JsonValue::type_name(want) + ", found " +
                   JsonValue::type_name(got));
}

bool JsonValue::as_bool() const {
  if (type_ != Type::Bool) throw type_error(Type::Bool, type_);
  return bool_;
}
double JsonValue::as_number() const {
  if (type_ != Type::Number) throw type_error(Type::Number, type_);
  return number_;
}
int64_t JsonValue::as_int() const {
  double d = as_number();
  if (!std::isfinite(d) || std::floor(d) != d) throw JsonError("expected an integer, found " + std::to_string(d));
  return static_cast<int64_t>(d);
}
const std::string& JsonValue::as_string() const {
  if (type_ != Type::String) throw type_error(Type::String, type_);
  return string_;
}
const JsonValue::Array& JsonValue::as_array() const {
  if (type_ != Type::Array) throw type_error(Type::Array, type_);
  return *array_;
}
const JsonValue::Object& JsonValue::as_object() const {
  if (type_ != Type::Object) throw type_error(Type::Object, type_);
  return *object_;
}
bool JsonValue::contains(const std::string& key) const { return find(key) != nullptr; }
const JsonValue* JsonValue::find(const std::string& key) const {
  if (type_ != Type::Object) return nullptr;
  auto it = object_->find(key);
  return it == object_->end() ? nullptr : &it->second;
}
const JsonValue& JsonValue::at(const std::string& key) const {
  const JsonValue* v = find(key);
  if (!v) throw JsonError("missing key \"" + key + "\"");
  return *v;
}

}  // namespace lp
