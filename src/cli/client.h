// ApiClient: the CLI's HTTP client for a running `corral serve` at CORRAL_HOST (cpp-httplib
// stays inside client.cpp). Non-2xx replies become a Status carrying the server's
// {"error": ...} message; a server that cannot be reached is kUnavailable with a hint.
// The CLI is a client as Ollama's is: run, list, show, rm, cp, create, pull and push ask the
// server at CORRAL_HOST when one answers (the server owns the store and does the work); when
// none answers they fall back to opening the store of CORRAL_MODELS in this process.
// Depends on util and server/ (parse_host).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/env.h"
#include "util/status.h"

namespace corral::cli {

class ApiClient {
 public:
  static Result<ApiClient> from_env(const EnvConfig& env);
  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;
  ~ApiClient();

  // The client of the server at CORRAL_HOST when one answers GET /api/version; nullopt when
  // none is reachable (the caller then works in-process); an error for a bad CORRAL_HOST.
  static Result<std::optional<ApiClient>> connect_if_running(const EnvConfig& env);

  Result<nlohmann::json> get(const std::string& path);
  Result<nlohmann::json> del(const std::string& path, const nlohmann::json& body);
  // HEAD: true for 200, false for 404, an error otherwise.
  Result<bool> exists(const std::string& path);
  // Streams the file at file_path as the body of a POST (application/octet-stream).
  Status post_file(const std::string& path, const std::string& file_path);
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body);
  // Posts and calls on_line for every NDJSON line of a streamed reply; on_line returning false
  // stops reading.
  Status post_stream(const std::string& path, const nlohmann::json& body,
                     const std::function<bool(const nlohmann::json&)>& on_line);
  const std::string& base_url() const { return url_; }

 private:
  struct Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl, std::string url);
  std::unique_ptr<Impl> impl_;
  std::string url_;
};

}  // namespace corral::cli
