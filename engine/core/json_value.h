#pragma once
// A minimal JSON reader for the model manifest and parity fixture index.
//
// Why not nlohmann/json: livepuppet_core must build against LibTorch alone
// (LIVEPUPPET_ENGINE_ONLY on a GPU box that has only PyTorch's bundled
// LibTorch), so it cannot depend on nlohmann. The layers above the core use
// nlohmann; this reader covers only what the core reads (RFC 8259 values,
// UTF-8 passed through, \uXXXX escapes decoded to UTF-8).
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lp {

// Thrown by JsonValue::parse (message says where: line and column) and by the
// typed accessors (message says which type was expected).
class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Object = std::map<std::string, JsonValue>;

  JsonValue() = default;  // null
  static JsonValue parse(const std::string& text);  // throws JsonError
  static JsonValue parse_file(const std::string& path);  // throws JsonError naming the file

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Typed access; throws JsonError when the type differs.
  bool as_bool() const;
  double as_number() const;
  int64_t as_int() const;  // number that must be integral
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;

  // Object helpers. find() returns nullptr when absent or not an object.
  bool contains(const std::string& key) const;
  const JsonValue* find(const std::string& key) const;
  const JsonValue& at(const std::string& key) const;  // throws JsonError naming the key

  static const char* type_name(Type t);

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  std::shared_ptr<Array> array_;    // shared_ptr keeps JsonValue copyable and cheap
  std::shared_ptr<Object> object_;
};

}  // namespace lp
