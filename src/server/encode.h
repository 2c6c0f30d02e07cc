// Wire encoders of the HTTP API: NDJSON lines (Ollama's streams: one compact JSON object per
// line, no blank lines), Server-Sent Events (OpenAI's streams: "data: {...}\n\n" and the final
// "data: [DONE]\n\n"), RFC 3339 timestamps with nanoseconds, error bodies, and the HTTP status
// that a Status code maps to. Depends only on util and nlohmann::json.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "util/status.h"

namespace corral::server {

using Json = nlohmann::ordered_json;

// `j` as one compact line ending in '\n' (invalid UTF-8 is replaced, never thrown on).
std::string ndjson_line(const Json& j);
// `j` as one SSE event: "data: <compact json>\n\n".
std::string sse_event(const Json& j);
// The end of an OpenAI stream: "data: [DONE]\n\n".
std::string sse_done();

// "2024-05-01T12:34:56.123456789Z" (UTC, as Go's time.RFC3339Nano prints it, trailing zeros kept).
std::string rfc3339(std::chrono::system_clock::time_point t);
// Seconds since the epoch (OpenAI's "created").
int64_t unix_seconds(std::chrono::system_clock::time_point t);

// 400 for invalid_argument, 404 not_found, 501 unsupported, 503 unavailable, 499 cancelled,
// 500 otherwise.
int http_status(const Status& s);
// Ollama's error body: {"error": "<message>"}.
std::string ollama_error_body(const std::string& message);
// OpenAI's error body: {"error": {"message", "type", "param": null, "code": null}}.
std::string openai_error_body(int http_status, const std::string& message);

}  // namespace corral::server
