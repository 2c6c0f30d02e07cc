#include "sample/json_schema.h"

#include <set>

namespace corral::sample {

using nlohmann::json;
using Kind = GrammarNode::Kind;

JsonGrammar::JsonGrammar() {
  literal_sets_.push_back({"true", "false", "null"});
  GrammarNode any;
  any.kind = Kind::kAny;
  add(any);
  GrammarNode str;
  str.kind = Kind::kString;
  add(str);
}

int JsonGrammar::add(GrammarNode n) {
  nodes_.push_back(std::move(n));
  return static_cast<int>(nodes_.size()) - 1;
}

bool JsonGrammar::can_start(int i, unsigned char c) const {
  const GrammarNode& n = node(i);
  switch (n.kind) {
    case Kind::kAny:
      return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
             c == 'n';
    case Kind::kObject: return c == '{';
    case Kind::kArray: return c == '[';
    case Kind::kString: return c == '"';
    case Kind::kNumber:
    case Kind::kInteger: return c == '-' || (c >= '0' && c <= '9');
    case Kind::kLiterals:
      for (const std::string& l : literals(n.literal_set)) {
        if (!l.empty() && static_cast<unsigned char>(l[0]) == c) return true;
      }
      return false;
    case Kind::kUnion:
      for (int m : n.members) {
        if (can_start(m, c)) return true;
      }
      return false;
  }
  return false;
}

std::shared_ptr<const JsonGrammar> JsonGrammar::any_object() {
  std::shared_ptr<JsonGrammar> g(new JsonGrammar());
  GrammarNode obj;
  obj.kind = Kind::kObject;
  obj.additional = g->any_node();
  g->root_ = g->add(obj);
  return g;
}

class SchemaCompiler {
 public:
  SchemaCompiler(JsonGrammar* g, const json& root) : g_(g), root_(root) {}

  Result<int> compile(const json& s, int depth, const std::string& where) {
    if (depth > 64) return invalid_argument("format: the schema is nested too deeply (or its $ref is recursive) at %s", where.c_str());
    if (s.is_boolean()) {
      if (s.get<bool>()) return g_->any_node();
      return invalid_argument("format: schema 'false' at %s can never be satisfied", where.c_str());
    }
    if (!s.is_object()) return invalid_argument("format: the schema at %s must be an object", where.c_str());
    static const std::set<std::string> kIgnored = {"title", "description", "$schema", "$id", "$comment", "default",
                                                   "examples", "$defs", "definitions", "readOnly", "writeOnly",
                                                   "deprecated"};
    static const std::set<std::string> kKnown = {"type", "properties", "required", "additionalProperties", "items",
                                                 "minItems", "maxItems", "enum", "const", "anyOf", "oneOf", "$ref"};
    for (const auto& [k, v] : s.items()) {
      if (kIgnored.count(k) || kKnown.count(k)) continue;
      return invalid_argument("format: JSON schema keyword '%s' (at %s) is not supported", k.c_str(), where.c_str());
    }
    if (auto it = s.find("$ref"); it != s.end()) {
      if (!it->is_string()) return invalid_argument("format: '$ref' at %s must be a string", where.c_str());
      std::string ref = it->get<std::string>();
      for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
        std::string p = prefix;
        if (ref.rfind(p, 0) == 0) {
          std::string section = p.substr(2, p.size() - 3);
          auto sec = root_.find(section);
          if (sec != root_.end() && sec->is_object() && sec->contains(ref.substr(p.size()))) {
            return compile((*sec)[ref.substr(p.size())], depth + 1, ref);
          }
        }
      }
      if (ref == "#") return compile(root_, depth + 1, ref);
      return invalid_argument("format: '$ref' '%s' at %s does not name an entry of $defs", ref.c_str(), where.c_str());
    }
    if (auto it = s.find("const"); it != s.end()) return literals({*it}, where);
    if (auto it = s.find("enum"); it != s.end()) {
      if (!it->is_array() || it->empty()) return invalid_argument("format: 'enum' at %s must be a non-empty list", where.c_str());
      std::vector<json> values(it->begin(), it->end());
      return literals(values, where);
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (auto it = s.find(key); it != s.end()) {
        if (!it->is_array() || it->empty()) return invalid_argument("format: '%s' at %s must be a non-empty list", key, where.c_str());
        std::vector<int> members;
        for (size_t i = 0; i < it->size(); ++i) {
          CORRAL_ASSIGN_OR_RETURN(int m, compile((*it)[i], depth + 1, where + "/" + key + "/" + std::to_string(i)));
          members.push_back(m);
        }
        return make_union(std::move(members), where, key);
      }
    }
    auto t = s.find("type");
    if (t == s.end()) {
      if (s.contains("properties") || s.contains("additionalProperties")) return object(s, depth, where);
      if (s.contains("items")) return array(s, depth, where);
      return g_->any_node();
    }
    if (t->is_array()) {
      if (t->empty()) return invalid_argument("format: 'type' at %s is an empty list", where.c_str());
      std::vector<int> members;
      for (const auto& one : *t) {
        if (!one.is_string()) return invalid_argument("format: 'type' at %s must hold strings", where.c_str());
        CORRAL_ASSIGN_OR_RETURN(int m, typed(one.get<std::string>(), s, depth, where));
        members.push_back(m);
      }
      return make_union(std::move(members), where, "type");
    }
    if (!t->is_string()) return invalid_argument("format: 'type' at %s must be a string or a list", where.c_str());
    return typed(t->get<std::string>(), s, depth, where);
  }

 private:
  Result<int> typed(const std::string& type, const json& s, int depth, const std::string& where) {
    GrammarNode n;
    if (type == "object") return object(s, depth, where);
    if (type == "array") return array(s, depth, where);
    if (type == "string") return g_->any_string_node();
    if (type == "number") {
      n.kind = Kind::kNumber;
      return g_->add(n);
    }
    if (type == "integer") {
      n.kind = Kind::kInteger;
      return g_->add(n);
    }
    if (type == "boolean") return literals({json(true), json(false)}, where);
    if (type == "null") return literals({json(nullptr)}, where);
    return invalid_argument("format: unknown type '%s' at %s", type.c_str(), where.c_str());
  }

  Result<int> literals(const std::vector<json>& values, const std::string& where) {
    if (values.size() > 64) return invalid_argument("format: 'enum' at %s has more than 64 values", where.c_str());
    std::vector<std::string> set;
    for (const json& v : values) {
      std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
      if (std::find(set.begin(), set.end(), text) == set.end()) set.push_back(text);
    }
    g_->literal_sets_.push_back(std::move(set));
    GrammarNode n;
    n.kind = Kind::kLiterals;
    n.literal_set = static_cast<int>(g_->literal_sets_.size()) - 1;
    return g_->add(n);
  }

  Result<int> make_union(std::vector<int> members, const std::string& where, const char* key) {
    if (members.size() == 1) return members[0];
    for (int c = 0; c < 256; ++c) {
      int starters = 0;
      for (int m : members) starters += g_->can_start(m, static_cast<unsigned char>(c)) ? 1 : 0;
      if (starters > 1) {
        return invalid_argument("format: '%s' at %s has alternatives that can start alike (e.g. two objects); "
                                "only alternatives of different JSON types are supported", key, where.c_str());
      }
    }
    GrammarNode n;
    n.kind = Kind::kUnion;
    n.members = std::move(members);
    return g_->add(n);
  }

  Result<int> object(const json& s, int depth, const std::string& where) {
    GrammarNode n;
    n.kind = Kind::kObject;
    std::set<std::string> required;
    if (auto it = s.find("required"); it != s.end()) {
      if (!it->is_array()) return invalid_argument("format: 'required' at %s must be a list of names", where.c_str());
      for (const auto& r : *it) {
        if (!r.is_string()) return invalid_argument("format: 'required' at %s must be a list of names", where.c_str());
        required.insert(r.get<std::string>());
      }
    }
    std::vector<std::string> keys;
    std::set<std::string> listed;
    if (auto it = s.find("properties"); it != s.end()) {
      if (!it->is_object()) return invalid_argument("format: 'properties' at %s must be an object", where.c_str());
      if (it->size() > 64) return invalid_argument("format: more than 64 properties at %s", where.c_str());
      for (const auto& [k, v] : it->items()) {
        CORRAL_ASSIGN_OR_RETURN(int child, compile(v, depth + 1, where + "/" + k));
        keys.push_back(json(k).dump(-1, ' ', false, json::error_handler_t::replace));
        n.prop_nodes.push_back(child);
        n.prop_required.push_back(required.count(k) > 0);
        listed.insert(k);
      }
    }
    for (const std::string& r : required) {
      if (!listed.count(r)) {
        return invalid_argument("format: required property '%s' at %s is not listed in 'properties'", r.c_str(), where.c_str());
      }
    }
    auto ap = s.find("additionalProperties");
    if (n.prop_nodes.empty()) {
      if (ap == s.end() || (ap->is_boolean() && ap->get<bool>())) {
        n.additional = g_->any_node();
      } else if (ap->is_object()) {
        CORRAL_ASSIGN_OR_RETURN(n.additional, compile(*ap, depth + 1, where + "/additionalProperties"));
      }  // false: only {}
    } else if (ap != s.end() && !ap->is_boolean()) {
      return invalid_argument("format: 'additionalProperties' with a schema beside 'properties' (at %s) is not supported",
                              where.c_str());
    }
    // Listed properties only, in the order the parsed schema holds them (nlohmann::json sorts keys;
    // llama.cpp keeps the declared order); extra keys are never generated.
    g_->literal_sets_.push_back(std::move(keys));
    n.key_set = static_cast<int>(g_->literal_sets_.size()) - 1;
    return g_->add(n);
  }

  Result<int> array(const json& s, int depth, const std::string& where) {
    GrammarNode n;
    n.kind = Kind::kArray;
    n.items = g_->any_node();
    if (auto it = s.find("items"); it != s.end()) {
      CORRAL_ASSIGN_OR_RETURN(n.items, compile(*it, depth + 1, where + "/items"));
    }
    for (const char* key : {"minItems", "maxItems"}) {
      auto it = s.find(key);
      if (it == s.end()) continue;
      if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
        return invalid_argument("format: '%s' at %s must be a non-negative integer", key, where.c_str());
      }
      int64_t v = it->get<int64_t>();
      if (v > 100000) return invalid_argument("format: '%s' at %s is too large", key, where.c_str());
      (std::string(key) == "minItems" ? n.min_items : n.max_items) = v;
    }
    if (n.max_items >= 0 && n.max_items < n.min_items) {
      return invalid_argument("format: minItems > maxItems at %s can never be satisfied", where.c_str());
    }
    return g_->add(n);
  }

  JsonGrammar* g_;
  const json& root_;
};

Result<std::shared_ptr<const JsonGrammar>> JsonGrammar::from_schema(const json& schema) {
  std::shared_ptr<JsonGrammar> g(new JsonGrammar());
  SchemaCompiler c(g.get(), schema);
  CORRAL_ASSIGN_OR_RETURN(g->root_, c.compile(schema, 0, "#"));
  return std::shared_ptr<const JsonGrammar>(std::move(g));
}

}  // namespace corral::sample
