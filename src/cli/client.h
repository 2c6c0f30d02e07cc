// ApiClient: the CLI's HTTP client for a running `corral serve` at CORRAL_HOST (cpp-httplib
// stays inside client.cpp). Non-2xx replies become a Status carrying the server's
// {"error": ...} message; a server that cannot be reached is kUnavailable with a hint.
// Depends on util and server/ (parse_host).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
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

  Result<nlohmann::json> get(const std::string& path);
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
