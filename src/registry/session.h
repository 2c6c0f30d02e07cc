// Private to registry/: one conversation with one repository of one registry: URLs, the
// Authorization header (Basic, or a bearer token fetched on a 401 challenge and cached) and
// requests that retry once with credentials. Depends on util, store and registry/http, auth.
#pragma once

#include <mutex>
#include <string>

#include "registry/auth.h"
#include "registry/client.h"
#include "registry/http.h"
#include "store/model_name.h"

namespace corral::registry {

class Session {
 public:
  Session(const RegistryOptions& options, const store::ModelName& name, bool push);

  const std::string& base() const { return base_; }      // "https://host"
  const std::string& repo() const { return repo_; }      // "namespace/model"
  std::string v2(const std::string& tail) const { return base_ + "/v2/" + repo_ + tail; }
  // A Location header made absolute (relative ones against base()); invalid_argument for others.
  Result<std::string> resolve(const std::string& location) const;

  // Sends with the current Authorization; on 401 answers the challenge and retries once.
  Result<HttpResponse> send(HttpRequest req);

  const RegistryOptions& options() const { return options_; }

 private:
  Result<std::string> authorize(const HttpResponse& unauthorized);

  const RegistryOptions& options_;
  std::string host_, base_, repo_, scope_;
  std::mutex mu_;
  std::string authorization_;  // guarded by mu_
};

// A non-2xx reply as a Status naming what was asked, with the registry's error message.
Status reply_error(const std::string& what, const HttpResponse& res);

}  // namespace corral::registry
