// Request guards of the HTTP API, as pure functions: the Host-header check against DNS
// rebinding (when the server is bound to loopback, only loopback and local names may be the
// Host), the CORS origin allow-list (Ollama's defaults plus CORRAL_ORIGINS), and the request
// body limit. Depends only on the standard library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace corral::server {

// JSON bodies larger than this are refused with 413 (blob uploads stream and are exempt).
constexpr size_t kMaxJsonBody = 32u << 20;

bool is_loopback_host(std::string_view host);
// Whether a request with this Host header may be served by a server bound to `bind_host`.
bool host_allowed(std::string_view host_header, std::string_view bind_host);

class OriginPolicy {
 public:
  // `extra`: CORRAL_ORIGINS, comma-separated; entries may end in '*' (prefix match) or be "*".
  explicit OriginPolicy(std::string_view extra = "");
  bool allowed(std::string_view origin) const;

 private:
  std::vector<std::string> patterns_;
};

}  // namespace corral::server
