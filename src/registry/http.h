// HTTP for the registry client: one blocking request over libcurl (HTTP and HTTPS only), with
// bounded collected bodies, streamed 2xx bodies, redirects and cancellation. libcurl stays
// inside http.cpp. Depends only on util.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace corral::registry {

struct HttpResponse {
  long status = 0;
  // Header names lower-cased, of the final response only (after redirects).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // collected when not streamed (also the body of error replies)

  // The first header of that name (case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // sent as is (not copied: must outlive the call)
  bool allow_plain_http = false;     // http:// allowed (else only https://, redirects included)
  size_t max_body = size_t(4) << 20; // larger collected bodies are an error, never buffered
  // Streams a 2xx body instead of collecting it. on_start sees the status and headers before
  // the first byte (and for an empty body); a non-ok Status from either aborts the transfer and
  // becomes the result.
  std::function<Status(const HttpResponse&)> on_start;
  std::function<Status(const char* data, size_t n)> on_data;
  const std::atomic<bool>* cancel = nullptr;
};

// Performs the request. A transport failure is unavailable naming the URL; any HTTP status
// (4xx, 5xx included) is a response.
Result<HttpResponse> http_send(const HttpRequest& req);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_escape(std::string_view s);
// Standard base64 with padding.
std::string base64_encode(std::string_view s);

}  // namespace corral::registry
