// Session (registry/session.h): URLs, authentication and error replies shared by pull and push.
#include <cctype>

#include <nlohmann/json.hpp>

#include "registry/session.h"

namespace corral::registry {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::string short_digest(const store::Digest& d) { return std::string(d.hex().substr(0, 12)); }

Session::Session(const RegistryOptions& options, const store::ModelName& name, bool push)
    : options_(options),
      host_(name.host()),
      base_(std::string(options.insecure ? "http://" : "https://") + name.host()),
      repo_(lower(name.name_space() + "/" + name.model())) {
  scope_ = "repository:" + repo_ + (push ? ":pull,push" : ":pull");
}

Result<std::string> Session::resolve(const std::string& location) const {
  if (location.rfind("https://", 0) == 0 || (options_.insecure && location.rfind("http://", 0) == 0)) return location;
  if (!location.empty() && location[0] == '/' && (location.size() < 2 || location[1] != '/')) return base_ + location;
  return invalid_argument("registry %s: unusable upload location '%.200s'", host_.c_str(), location.c_str());
}

Result<HttpResponse> Session::send(HttpRequest req) {
  req.allow_plain_http = options_.insecure;
  if (req.cancel == nullptr) req.cancel = options_.cancel;
  for (int attempt = 0;; ++attempt) {
    HttpRequest r = req;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!authorization_.empty()) r.headers.push_back("Authorization: " + authorization_);
    }
    CORRAL_ASSIGN_OR_RETURN(HttpResponse res, http_send(r));
    if (res.status != 401 || attempt > 0 || !res.has_header("www-authenticate")) return res;
    CORRAL_ASSIGN_OR_RETURN(std::string auth, authorize(res));
    std::lock_guard<std::mutex> lock(mu_);
    authorization_ = std::move(auth);
  }
}

Result<std::string> Session::authorize(const HttpResponse& unauthorized) {
  auto challenges = parse_www_authenticate(unauthorized.header("www-authenticate"));
  if (!challenges.ok()) return challenges.status().with_context("registry " + host_);
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const auto& c : *challenges) {
    if (c.scheme == "bearer" && bearer == nullptr) bearer = &c;
    if (c.scheme == "basic" && basic == nullptr) basic = &c;
  }
  if (bearer != nullptr) {
    std::string realm = bearer->param("realm");
    if (realm.empty()) return invalid_argument("registry %s: bearer challenge without a realm", host_.c_str());
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    std::string service = bearer->param("service");
    std::string scope = bearer->param("scope").empty() ? scope_ : bearer->param("scope");
    bool first = true;
    if (!service.empty()) {
      url += "service=" + url_escape(service);
      first = false;
    }
    url += std::string(first ? "" : "&") + "scope=" + url_escape(scope);
    HttpRequest tr;
    tr.url = url;
    tr.allow_plain_http = options_.insecure;
    tr.cancel = options_.cancel;
    tr.max_body = 1 << 20;
    if (options_.credentials) tr.headers.push_back("Authorization: " + basic_authorization(*options_.credentials));
    CORRAL_ASSIGN_OR_RETURN(HttpResponse res, http_send(tr));
    if (res.status != 200) return reply_error("token from " + realm, res);
    auto j = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
    std::string token;
    if (j.is_object()) {
      for (const char* key : {"token", "access_token"}) {
        auto it = j.find(key);
        if (it != j.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
          token = it->get<std::string>();
          break;
        }
      }
    }
    if (token.empty()) return corrupt("registry %s: the token reply from %s holds no token", host_.c_str(), realm.c_str());
    for (char c : token) {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        return corrupt("registry %s: the token from %s contains a character a header cannot hold", host_.c_str(),
                       realm.c_str());
      }
    }
    return "Bearer " + token;
  }
  if (basic != nullptr) {
    if (!options_.credentials) {
      return invalid_argument(
          "registry %s asks for a user name and password: set CORRAL_REGISTRY_AUTH=user:password "
          "or CORRAL_REGISTRY_AUTH_FILE",
          host_.c_str());
    }
    return basic_authorization(*options_.credentials);
  }
  return unsupported("registry %s: no supported authentication scheme in '%.200s'", host_.c_str(),
                     unauthorized.header("www-authenticate").c_str());
}

Status reply_error(const std::string& what, const HttpResponse& res) {
  std::string detail;
  auto j = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto errs = j.find("errors");
    if (errs != j.end() && errs->is_array() && !errs->empty() && (*errs)[0].is_object()) {
      const auto& e = (*errs)[0];
      auto code = e.find("code");
      auto msg = e.find("message");
      if (code != e.end() && code->is_string()) detail += code->get<std::string>();
      if (msg != e.end() && msg->is_string()) detail += (detail.empty() ? "" : ": ") + msg->get<std::string>();
    }
  }
  if (detail.size() > 300) detail.resize(300);
  std::string text = what + ": HTTP " + std::to_string(res.status) + (detail.empty() ? "" : " (" + detail + ")");
  switch (res.status) {
    case 401:
      return invalid_argument("%s: unauthorized (set CORRAL_REGISTRY_AUTH=user:password?)", text.c_str());
    case 403:
      return invalid_argument("%s: access denied", text.c_str());
    case 404:
      return not_found("%s", text.c_str());
    default:
      return unavailable("%s", text.c_str());
  }
}

}  // namespace corral::registry
