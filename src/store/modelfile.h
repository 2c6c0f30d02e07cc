// Modelfile parser (Ollama's format): FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE and
// MESSAGE; instructions are case-insensitive, '#' starts a comment line, values may be bare
// (to the end of the line), "quoted" or """triple-quoted""" (both may span lines). Errors
// name the line: "Modelfile:7: unknown instruction 'FORM'". FROM is classified (digest, path
// or model name) but not resolved: that is the `create` command's job.
// Depends only on util and store/ (names, digests, parameter table).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/digest.h"
#include "store/model_name.h"
#include "util/status.h"

namespace corral::store {

enum class Instruction { kFrom, kParameter, kTemplate, kSystem, kAdapter, kLicense, kMessage };
std::string_view instruction_name(Instruction i);  // "FROM", ...

struct ModelfileCommand {
  Instruction instruction;
  std::string name;   // PARAMETER name (lowercase) or MESSAGE role; empty otherwise
  std::string value;  // unquoted value
  int line = 0;       // where the instruction starts (1-based)
};

enum class FromKind { kModelName, kPath, kDigest };

struct FromRef {
  FromKind kind = FromKind::kModelName;
  std::string value;                // as written
  std::optional<ModelName> name;    // kModelName
  std::optional<Digest> digest;     // kDigest
};

struct ModelfileMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct Modelfile {
  std::vector<ModelfileCommand> commands;  // every instruction, in order
  FromRef from;
  std::vector<std::string> adapters;
  std::optional<std::string> template_text;  // the last TEMPLATE
  std::optional<std::string> system;         // the last SYSTEM
  std::vector<std::string> licenses;
  std::vector<ModelfileMessage> messages;
  nlohmann::json params = nlohmann::json::object();  // the params layer content

  // The messages layer content: [{"role": ..., "content": ...}, ...].
  nlohmann::json messages_json() const;
};

struct ModelfileOptions {
  std::string source_name = "Modelfile";  // prefix of error messages
  std::string base_dir = ".";             // relative FROM / ADAPTER paths are probed here
  bool probe_paths = true;                // false: never touch the file system (fuzzing)
  NameDefaults defaults;
};

// invalid_argument "<source>:<line>: <reason>" on any problem.
Result<Modelfile> parse_modelfile(std::string_view text, const ModelfileOptions& options = {});
// Reads the file (at most 16 MiB); errors are prefixed with the path unless source_name is set.
Result<Modelfile> parse_modelfile_file(const std::string& path, ModelfileOptions options = {});

// FROM value classification: "sha256:..." is a digest (validated); a value starting with
// '/', '.' or '~', or naming an existing file or folder (relative to base_dir, when probing),
// is a path; anything else must be a valid model name.
Result<FromRef> classify_from(std::string_view value, const ModelfileOptions& options = {});

}  // namespace corral::store
