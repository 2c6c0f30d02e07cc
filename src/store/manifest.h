// Manifest: the Docker v2 image manifest (schemaVersion 2) that Ollama stores per model tag,
// with Ollama's layer media types. Parsing validates every field and every digest (through
// Digest::parse) and never throws. Depends only on util and store/digest.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/digest.h"
#include "util/status.h"

namespace corral::store {

namespace media_type {
inline constexpr std::string_view kManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kModel = "application/vnd.ollama.image.model";
inline constexpr std::string_view kTemplate = "application/vnd.ollama.image.template";
inline constexpr std::string_view kSystem = "application/vnd.ollama.image.system";
inline constexpr std::string_view kParams = "application/vnd.ollama.image.params";
inline constexpr std::string_view kLicense = "application/vnd.ollama.image.license";
inline constexpr std::string_view kMessages = "application/vnd.ollama.image.messages";
inline constexpr std::string_view kAdapter = "application/vnd.ollama.image.adapter";
inline constexpr std::string_view kProjector = "application/vnd.ollama.image.projector";
}  // namespace media_type

struct Layer {
  std::string media_type;
  Digest digest;
  uint64_t size = 0;
  std::string from;  // optional provenance ("from" in Ollama's manifests); empty if absent
};

struct Manifest {
  int schema_version = 2;
  std::string media_type = std::string(media_type::kManifest);
  Layer config;
  std::vector<Layer> layers;

  // Layers of one media type, in manifest order.
  std::vector<const Layer*> layers_of(std::string_view type) const;
  // config size plus every layer's size (what `list` shows).
  uint64_t total_size() const;
};

// Parses manifest JSON. corrupt("manifest: ...") naming the field on any problem.
Result<Manifest> parse_manifest(std::string_view json_text);
// Serializes with Ollama's key order (schemaVersion, mediaType, config, layers).
std::string serialize_manifest(const Manifest& m);

}  // namespace corral::store
