// libFuzzer target for the store's parsers of outside input: the Modelfile parser, model
// names, digests and manifests. Besides "no crash", it checks invariants: a parsed name
// re-parses to the same name and its manifest path has exactly four safe components; a parsed
// manifest survives a serialize/parse round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/digest.h"
#include "store/manifest.h"
#include "store/model_name.h"
#include "store/modelfile.h"

namespace {

void require(bool cond) {
  if (!cond) std::abort();
}

void check_name(std::string_view text) {
  auto name = corral::store::ModelName::parse(text);
  if (!name.ok()) return;
  auto again = corral::store::ModelName::parse(name->full());
  require(again.ok() && again->equal_fold(*name) && again->full() == name->full());
  const std::string path = name->manifest_path();
  require(!path.empty() && path[0] != '/' && path.find("..") == std::string::npos);
  size_t slashes = 0;
  for (char c : path) slashes += c == '/';
  require(slashes == 3);
  if (name->digest()) require(corral::store::is_valid_digest(name->digest()->str()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  corral::store::ModelfileOptions options;
  options.probe_paths = false;  // never touch the file system
  auto mf = corral::store::parse_modelfile(text, options);
  if (mf.ok()) {
    require(!mf->commands.empty());
    (void)mf->params.dump();
    (void)mf->messages_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  }

  check_name(text);
  auto digest = corral::store::Digest::parse(text);
  if (digest.ok()) require(digest->str() == text && digest->blob_name().size() == 71);

  auto manifest = corral::store::parse_manifest(text);
  if (manifest.ok()) {
    auto again = corral::store::parse_manifest(corral::store::serialize_manifest(*manifest));
    require(again.ok() && again->layers.size() == manifest->layers.size() &&
            again->config.digest == manifest->config.digest);
  }
  return 0;
}
