// JSON-schema grammars for constrained decoding: compiles Ollama's `format` ("json" or a JSON
// schema) into a JsonGrammar — a tree of value nodes that the byte-level pushdown matcher
// (sample/grammar.h) walks. Supported: type (one or a list), properties, required,
// additionalProperties, items, minItems, maxItems, enum, const, anyOf/oneOf with alternatives
// that start differently, $ref into $defs/definitions, annotations (title, description, ...).
// Anything else is refused with invalid_argument naming the keyword. Depends on util and
// nlohmann::json only.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/status.h"

namespace corral::sample {

struct GrammarNode {
  enum class Kind : uint8_t { kAny, kObject, kArray, kString, kNumber, kInteger, kLiterals, kUnion };
  Kind kind = Kind::kAny;
  // kObject: properties in generation order; keys are in literal set `key_set` (JSON-encoded,
  // with quotes), prop i's key is literal i. `additional` >= 0: the value node of any other
  // key, when the object has no listed properties (a map); -1 none.
  std::vector<int> prop_nodes;
  std::vector<bool> prop_required;
  int key_set = -1;
  int additional = -1;
  // kArray
  int items = -1;
  int64_t min_items = 0;
  int64_t max_items = -1;  // -1: unbounded
  // kLiterals: literal set (serialized JSON values: enum, const, true/false, null)
  int literal_set = -1;
  // kUnion
  std::vector<int> members;
};

class JsonGrammar {
 public:
  // Ollama's format "json": any JSON object.
  static std::shared_ptr<const JsonGrammar> any_object();
  // A JSON schema; invalid_argument naming the unsupported keyword or the impossible schema.
  static Result<std::shared_ptr<const JsonGrammar>> from_schema(const nlohmann::json& schema);

  const GrammarNode& node(int i) const { return nodes_[static_cast<size_t>(i)]; }
  int root() const { return root_; }
  int any_node() const { return 0; }         // kAny
  int any_string_node() const { return 1; }  // kString
  int any_key_node() const { return 1; }
  const std::vector<std::string>& literals(int set) const { return literal_sets_[static_cast<size_t>(set)]; }
  int keyword_set() const { return 0; }      // true, false, null

  // Bytes a value of node i may start with (whitespace excluded).
  bool can_start(int node, unsigned char c) const;

 private:
  friend class SchemaCompiler;
  JsonGrammar();
  int add(GrammarNode n);
  std::vector<GrammarNode> nodes_;
  std::vector<std::vector<std::string>> literal_sets_;
  int root_ = 0;
};

}  // namespace corral::sample
