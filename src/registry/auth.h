// Registry authentication: the WWW-Authenticate challenge parser (RFC 7235 challenges with
// auth-params or token68, as Basic and the Docker bearer-token scheme send them), registry
// credentials ("user:password" from CORRAL_REGISTRY_AUTH or a credentials file) and the Basic
// header. No network here. Depends only on util.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace corral::registry {

struct AuthChallenge {
  std::string scheme;                         // lower-cased: "basic", "bearer", ...
  std::map<std::string, std::string> params;  // names lower-cased, values unquoted
  std::string token68;                        // the rare token68 form instead of params

  std::string param(const std::string& name) const;
};

// Parses one or more comma-separated challenges. invalid_argument naming the problem on
// malformed input (unterminated quotes, a parameter without a name, no scheme, ...).
Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

struct Credentials {
  std::string user;
  std::string password;
};

// "user:password" (the password may contain ':'); `what` names the source in errors.
Result<Credentials> parse_credentials(std::string_view text, std::string_view what);

// The credentials for `host`: CORRAL_REGISTRY_AUTH (`env_value`, any host) wins; else the file
// (`file_path`, may be empty), whose non-blank lines that do not start with '#' are
// "user:password" (any host) or "HOST user:password"; the first matching line wins.
// nullopt when none apply (anonymous).
Result<std::optional<Credentials>> load_credentials(const std::string& env_value, const std::string& file_path,
                                                    std::string_view host);

// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& c);

}  // namespace corral::registry
