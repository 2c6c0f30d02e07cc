#include "registry/http.h"

#include <curl/curl.h>

#include <cctype>
#include <mutex>

namespace corral::registry {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

struct Transfer {
  const HttpRequest* req = nullptr;
  CURL* curl = nullptr;
  HttpResponse res;
  bool started = false;
  Status error;  // set by a callback that aborted the transfer

  bool streaming() const { return req->on_data != nullptr && res.status >= 200 && res.status < 300; }
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.substr(0, 5) == "HTTP/") {  // a new response (redirect, 100 Continue): start over
    t->res.headers.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t->res.headers.size() < 256) t->res.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (!t->started) {
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->res.status);
    if (t->streaming() && t->req->on_start) {
      t->started = true;
      Status s = t->req->on_start(t->res);
      if (!s.ok()) {
        t->error = s;
        return 0;
      }
    }
    t->started = true;
  }
  if (t->streaming()) {
    Status s = t->req->on_data(data, len);
    if (!s.ok()) {
      t->error = s;
      return 0;
    }
    return len;
  }
  if (t->res.body.size() + len > t->req->max_body) {
    t->error = corrupt("%s %s: the reply is larger than %zu bytes", t->req->method.c_str(), t->req->url.c_str(),
                       t->req->max_body);
    return 0;
  }
  t->res.body.append(data, len);
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (t->req->cancel != nullptr && t->req->cancel->load()) ? 1 : 0;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlHandle {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  ~CurlHandle() {
    curl_slist_free_all(headers);
    if (h != nullptr) curl_easy_cleanup(h);
  }
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequal(k, name)) return v;
  }
  return {};
}

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequal(k, name)) return true;
  }
  return false;
}

Result<HttpResponse> http_send(const HttpRequest& req) {
  const bool https = req.url.rfind("https://", 0) == 0;
  const bool http = req.url.rfind("http://", 0) == 0;
  if (!https && !(http && req.allow_plain_http)) {
    return invalid_argument("%s: only %s URLs are allowed here%s", req.url.c_str(),
                            req.allow_plain_http ? "http:// and https://" : "https://",
                            req.allow_plain_http ? "" : " (use --insecure for a plain-HTTP registry)");
  }
  global_init();
  CurlHandle c;
  if (c.h == nullptr) return internal_error("libcurl could not create a handle");
  Transfer t;
  t.req = &req;
  t.curl = c.h;
  CURL* h = c.h;
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  const char* protocols = req.allow_plain_http ? "http,https" : "https";
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "corral/0.1");
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  c.headers = curl_slist_append(c.headers, "Expect:");  // no 100-continue round trip
  for (const std::string& hd : req.headers) c.headers = curl_slist_append(c.headers, hd.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, c.headers);

  CURLcode rc = curl_easy_perform(h);
  if (!t.error.ok()) return t.error;
  if (req.cancel != nullptr && req.cancel->load()) return cancelled("%s %s: cancelled", req.method.c_str(), req.url.c_str());
  if (rc != CURLE_OK) {
    return unavailable("%s %s: %s", req.method.c_str(), req.url.c_str(), curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.res.status);
  if (!t.started && t.streaming() && req.on_start) {
    Status s = req.on_start(t.res);
    if (!s.ok()) return s;
  }
  return std::move(t.res);
}

std::string url_escape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string base64_encode(std::string_view s) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(s[i])) << 16) | (uint32_t(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == s.size()) {
    uint32_t v = uint32_t(uint8_t(s[i])) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    uint32_t v = (uint32_t(uint8_t(s[i])) << 16) | (uint32_t(uint8_t(s[i + 1])) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace corral::registry
