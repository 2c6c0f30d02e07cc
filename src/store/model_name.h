// ModelName: a validated `host/namespace/model:tag[@sha256:...]` model reference with
// Ollama's defaults and rules. Every part is checked against a strict character set before it
// can become a path component (no '/', no "..", no '%', no non-ASCII). Comparison ignores ASCII
// case, as Ollama's does. Depends only on util and store/digest.h.
//
// Rules (Ollama's types/model/name.go, plus the ".." ban):
//   host       1..350 chars, [A-Za-z0-9_] then [A-Za-z0-9_.:-]*   (":" allows a port)
//   namespace  1..80 chars,  [A-Za-z0-9_] then [A-Za-z0-9_-]*
//   model      1..80 chars,  [A-Za-z0-9_] then [A-Za-z0-9_.-]*
//   tag        1..80 chars,  [A-Za-z0-9_] then [A-Za-z0-9_.-]*
//   no part contains "..";  a leading "http://" or "https://" is dropped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/digest.h"
#include "util/status.h"

namespace corral::store {

struct NameDefaults {
  std::string host = "registry.ollama.ai";  // EnvConfig::registry
  std::string name_space = "library";
  std::string tag = "latest";
};

enum class NamePart { kHost, kNamespace, kModel, kTag };

// invalid_argument naming the part and the reason, or ok.
Status validate_name_part(NamePart part, std::string_view value);

class ModelName {
 public:
  // Accepts "model", "ns/model", "host/ns/model", each with an optional ":tag" and an optional
  // "@sha256:<hex>" digest. Missing parts take the defaults.
  static Result<ModelName> parse(std::string_view text, const NameDefaults& defaults = {});
  // Builds a name from parts that are each validated.
  static Result<ModelName> from_parts(std::string_view host, std::string_view name_space,
                                      std::string_view model, std::string_view tag);

  const std::string& host() const { return host_; }
  const std::string& name_space() const { return namespace_; }
  const std::string& model() const { return model_; }
  const std::string& tag() const { return tag_; }
  const std::optional<Digest>& digest() const { return digest_; }

  // "host/namespace/model:tag" (no digest).
  std::string full() const;
  // Drops the default host, namespace and tag: "llama3", "me/llama3:8b", "h.io/ns/m".
  std::string display(const NameDefaults& defaults = {}) const;
  // Like display() but always keeps the tag, as `ollama list` prints names: "llama3:latest".
  std::string display_with_tag(const NameDefaults& defaults = {}) const;
  // The manifest path below manifests/: "host/namespace/model/tag".
  std::string manifest_path() const;

  // ASCII case-insensitive equality of host, namespace, model and tag (the digest is ignored).
  bool equal_fold(const ModelName& other) const;

 private:
  std::string host_, namespace_, model_, tag_;
  std::optional<Digest> digest_;
};

// ASCII case-insensitive string equality.
bool equal_fold(std::string_view a, std::string_view b);

}  // namespace corral::store
