#include "server/encode.h"

#include <cstdio>
#include <ctime>

namespace corral::server {

namespace {
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }
}  // namespace

std::string ndjson_line(const Json& j) { return dump(j) + "\n"; }

std::string sse_event(const Json& j) { return "data: " + dump(j) + "\n\n"; }

std::string sse_done() { return "data: [DONE]\n\n"; }

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

int http_status(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kUnsupported: return 501;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCancelled: return 499;
    default: return 500;
  }
}

std::string ollama_error_body(const std::string& message) { return dump(Json{{"error", message}}); }

std::string openai_error_body(int http_status, const std::string& message) {
  const char* type = http_status == 404   ? "not_found_error"
                     : http_status < 500 ? "invalid_request_error"
                                         : "api_error";
  Json err = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  return dump(Json{{"error", err}});
}

}  // namespace corral::server
