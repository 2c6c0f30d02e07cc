// NDJSON / SSE framing, RFC 3339 timestamps and error mapping of the HTTP layer.
#include <gtest/gtest.h>

#include "server/encode.h"
#include "server/models.h"
#include "server/server.h"

namespace corral::server {
namespace {

TEST(Encode, NdjsonIsOneLine) {
  Json j = {{"response", "a\nb\r\n\n"}, {"done", false}};
  std::string line = ndjson_line(j);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "no newline inside the object";
  EXPECT_EQ(nlohmann::json::parse(line)["response"], "a\nb\r\n\n");
}

TEST(Encode, InvalidUtf8IsReplacedNotThrown) {
  Json j = {{"response", std::string("ok\xff\xfe")}};
  std::string line;
  ASSERT_NO_THROW(line = ndjson_line(j));
  EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(Encode, SseFraming) {
  std::string e = sse_event(Json{{"x", "1\n2"}});
  ASSERT_EQ(e.rfind("data: ", 0), 0u);
  ASSERT_GE(e.size(), 8u);
  EXPECT_EQ(e.substr(e.size() - 2), "\n\n");
  std::string payload = e.substr(6, e.size() - 8);
  EXPECT_EQ(payload.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(payload)["x"], "1\n2");
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
}

TEST(Encode, Rfc3339Nano) {
  // 1700000000 s is 2023-11-14T22:13:20Z.
  auto t = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(1700000000) + std::chrono::nanoseconds(123456789)));
  std::string s = rfc3339(t);
  // system_clock may be coarser than ns on some platforms; the prefix is exact.
  EXPECT_EQ(s.substr(0, 20), "2023-11-14T22:13:20.");
  EXPECT_EQ(s.back(), 'Z');
  EXPECT_EQ(s.size(), 30u);
  EXPECT_EQ(unix_seconds(t), 1700000000);
  EXPECT_EQ(rfc3339(std::chrono::system_clock::time_point()), "1970-01-01T00:00:00.000000000Z");
}

TEST(Encode, HttpStatusOfErrors) {
  EXPECT_EQ(http_status(invalid_argument("x")), 400);
  EXPECT_EQ(http_status(not_found("x")), 404);
  EXPECT_EQ(http_status(unsupported("x")), 501);
  EXPECT_EQ(http_status(unavailable("x")), 503);
  EXPECT_EQ(http_status(corrupt("x")), 500);
  EXPECT_EQ(http_status(ok_status()), 200);
}

TEST(Encode, ErrorBodies) {
  auto o = nlohmann::json::parse(ollama_error_body("model 'x' not found"));
  EXPECT_EQ(o, (nlohmann::json{{"error", "model 'x' not found"}}));
  auto a = nlohmann::json::parse(openai_error_body(400, "bad \"thing\""));
  EXPECT_EQ(a["error"]["message"], "bad \"thing\"");
  EXPECT_EQ(a["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(a["error"]["param"].is_null());
  EXPECT_EQ(nlohmann::json::parse(openai_error_body(500, "x"))["error"]["type"], "api_error");
}

TEST(ParseHost, Forms) {
  auto hp = parse_host("127.0.0.1:11434");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 11434);
  hp = parse_host("0.0.0.0");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "0.0.0.0");
  EXPECT_EQ(hp->port, 11434);
  hp = parse_host(":8080");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8080);
  hp = parse_host("http://localhost:1234/");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "localhost");
  EXPECT_EQ(hp->port, 1234);
  EXPECT_EQ(hp->url(), "http://localhost:1234");
  for (const char* bad : {"h:0", "h:65536", "h:", "h:12a", "a b:1", "h:123456", "h/x:1"}) {
    EXPECT_FALSE(parse_host(bad).ok()) << bad;
  }
}

TEST(ModelInfo, FileTypeNames) {
  // llama.cpp's LLAMA_FTYPE numbering.
  EXPECT_EQ(file_type_name(0), "F32");
  EXPECT_EQ(file_type_name(1), "F16");
  EXPECT_EQ(file_type_name(3), "Q4_1");
  EXPECT_EQ(file_type_name(7), "Q8_0");
  EXPECT_EQ(file_type_name(15), "Q4_K_M");
  EXPECT_EQ(file_type_name(18), "Q6_K");
  EXPECT_EQ(file_type_name(999), "unknown");
}

TEST(ModelInfo, ParameterSize) {
  EXPECT_EQ(parameter_size_string(134515008), "135M");
  EXPECT_EQ(parameter_size_string(8030261248ull), "8.0B");
  EXPECT_EQ(parameter_size_string(1235814400), "1.2B");
  EXPECT_EQ(parameter_size_string(5000), "5K");
  EXPECT_EQ(parameter_size_string(12), "12");
}

}  // namespace
}  // namespace corral::server
