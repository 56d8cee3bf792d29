// A small JSON Schema checker for the subset docs/openapi.json uses: $ref
// (local, "#/..."), type (a name or a list of names), enum, pattern,
// minimum, properties, required, additionalProperties: false, items.
// Anything else in a schema is refused, so that the document cannot use a
// keyword this checker would silently skip.
#pragma once

#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

namespace basis::testing {

class SchemaChecker {
 public:
  // `root` is the whole document ($ref targets are looked up in it).
  explicit SchemaChecker(const nlohmann::json& root) : root_(root) {}

  // The problems of `value` against `schema`, each naming where (empty: it conforms).
  std::vector<std::string> check(const nlohmann::json& value, const nlohmann::json& schema) const {
    std::vector<std::string> problems;
    check(value, schema, "$", &problems);
    return problems;
  }

  // The schema `ref` ("#/components/schemas/Error") names.
  const nlohmann::json& resolve(const std::string& ref) const {
    if (ref.rfind("#/", 0) != 0) throw std::runtime_error("not a local $ref: " + ref);
    return root_.at(nlohmann::json::json_pointer(ref.substr(1)));
  }

 private:
  static bool has_type(const nlohmann::json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    throw std::runtime_error("unknown type in a schema: " + type);
  }

  void check(const nlohmann::json& v, const nlohmann::json& schema, const std::string& at,
             std::vector<std::string>* problems) const {
    static const std::vector<std::string> kKnown = {"$ref", "type", "enum", "pattern", "minimum", "properties",
                                                    "required", "additionalProperties", "items", "description"};
    for (const auto& item : schema.items()) {
      if (std::find(kKnown.begin(), kKnown.end(), item.key()) == kKnown.end()) {
        throw std::runtime_error("a schema keyword the checker does not know: " + item.key() + " at " + at);
      }
    }
    if (schema.contains("$ref")) check(v, resolve(schema["$ref"].get<std::string>()), at, problems);
    if (schema.contains("type")) {
      const nlohmann::json& t = schema["type"];
      bool ok = false;
      for (const auto& name : t.is_array() ? t : nlohmann::json::array({t})) ok = ok || has_type(v, name.get<std::string>());
      if (!ok) {
        problems->push_back(at + ": " + v.dump() + " is not of type " + t.dump());
        return;
      }
    }
    if (schema.contains("enum")) {
      const auto& e = schema["enum"];
      if (std::find(e.begin(), e.end(), v) == e.end()) problems->push_back(at + ": " + v.dump() + " is not in " + e.dump());
    }
    if (schema.contains("pattern") && v.is_string() &&
        !std::regex_search(v.get<std::string>(), std::regex(schema["pattern"].get<std::string>()))) {
      problems->push_back(at + ": \"" + v.get<std::string>() + "\" does not match " + schema["pattern"].get<std::string>());
    }
    if (schema.contains("minimum") && v.is_number() && v.get<double>() < schema["minimum"].get<double>()) {
      problems->push_back(at + ": " + v.dump() + " is below " + schema["minimum"].dump());
    }
    if (v.is_object()) {
      const nlohmann::json empty = nlohmann::json::object();
      const nlohmann::json& props = schema.contains("properties") ? schema["properties"] : empty;
      for (const auto& name : schema.value("required", nlohmann::json::array())) {
        if (!v.contains(name.get<std::string>())) problems->push_back(at + ": no " + name.get<std::string>());
      }
      for (const auto& item : v.items()) {
        if (props.contains(item.key())) {
          check(item.value(), props[item.key()], at + "." + item.key(), problems);
        } else if (schema.contains("additionalProperties") && schema["additionalProperties"] == false) {
          problems->push_back(at + ": " + item.key() + " is not documented");
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i) check(v[i], schema["items"], at + "[" + std::to_string(i) + "]", problems);
    }
  }

  const nlohmann::json& root_;
};

}  // namespace basis::testing
