#include "server/security.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace corral::server {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "host:port", "[::1]:port", "host" -> host (lowercase, no brackets).
std::string strip_port(std::string_view h) {
  if (!h.empty() && h.front() == '[') {
    size_t close = h.find(']');
    return lower(close == std::string_view::npos ? h.substr(1) : h.substr(1, close - 1));
  }
  size_t colon = h.rfind(':');
  if (colon != std::string_view::npos && h.find(':') == colon) h = h.substr(0, colon);
  return lower(h);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

// 127.0.0.0/8 written as a dotted quad (not a name that merely starts with "127.").
static bool is_ipv4_loopback(std::string_view h) {
  if (h.rfind("127.", 0) != 0) return false;
  int dots = 0, digits = 0;
  for (char c : h) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

bool is_loopback_host(std::string_view host) {
  std::string h = strip_port(host);
  return h == "localhost" || h == "::1" || is_ipv4_loopback(h) || ends_with(h, ".localhost");
}

bool host_allowed(std::string_view host_header, std::string_view bind_host) {
  if (!is_loopback_host(bind_host)) return true;  // bound to a public address on purpose
  std::string h = strip_port(host_header);
  if (h.empty()) return true;  // HTTP/1.0 clients send none
  if (is_loopback_host(h) || h == "0.0.0.0" || h == strip_port(bind_host)) return true;
  if (ends_with(h, ".local") || ends_with(h, ".internal")) return true;
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) == 0 && h == lower(name)) return true;
  return false;
}

OriginPolicy::OriginPolicy(std::string_view extra) {
  for (const char* scheme : {"http://", "https://"}) {
    for (const char* host : {"localhost", "127.0.0.1", "0.0.0.0", "[::1]"}) {
      patterns_.push_back(std::string(scheme) + host);
      patterns_.push_back(std::string(scheme) + host + ":*");
    }
  }
  for (const char* p : {"app://*", "file://*", "tauri://*", "vscode-webview://*"}) patterns_.push_back(p);
  while (!extra.empty()) {
    size_t comma = extra.find(',');
    std::string_view one = extra.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (!one.empty()) patterns_.emplace_back(one);
    if (comma == std::string_view::npos) break;
    extra.remove_prefix(comma + 1);
  }
}

bool OriginPolicy::allowed(std::string_view origin) const {
  std::string o = lower(origin);
  for (const std::string& p : patterns_) {
    std::string lp = lower(p);
    if (lp == "*") return true;
    if (!lp.empty() && lp.back() == '*') {
      if (o.rfind(std::string_view(lp).substr(0, lp.size() - 1), 0) == 0) return true;
    } else if (o == lp) {
      return true;
    }
  }
  return false;
}

}  // namespace corral::server
