// Request validation of the HTTP layer: Ollama's field names, option names and defaults
// (Ollama's api/types.go documentation), OpenAI's fields mapped onto them, and clear
// invalid_argument / unsupported errors for malformed bodies.
#include <gtest/gtest.h>

#include "server/requests.h"

namespace corral::server {
namespace {

using nlohmann::json;

template <typename T>
void expect_error(const Result<T>& r, StatusCode code, const std::string& needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST(Requests, ModelField) {
  EXPECT_EQ(*model_field(json{{"model", "a"}}), "a");
  EXPECT_EQ(*model_field(json{{"name", "b"}}), "b");
  EXPECT_EQ(*model_field(json{{"model", ""}, {"name", "c"}}), "c");
  expect_error(model_field(json::object()), StatusCode::kInvalidArgument, "model is required");
  expect_error(model_field(json{{"model", ""}}), StatusCode::kInvalidArgument, "model is required");
  expect_error(model_field(json{{"model", 5}}), StatusCode::kInvalidArgument, "'model' must be a string");
}

TEST(Requests, BodyMustBeAJsonObject) {
  expect_error(parse_body(""), StatusCode::kInvalidArgument, "missing request body");
  expect_error(parse_body("{\"model\":"), StatusCode::kInvalidArgument, "invalid JSON");
  expect_error(parse_body("[1,2]"), StatusCode::kInvalidArgument, "JSON object");
  expect_error(parse_body("\"x\""), StatusCode::kInvalidArgument, "JSON object");
  EXPECT_TRUE(parse_body("{\"model\":\"x\"}").ok());
}

TEST(Options, OllamaDefaults) {
  RunOptions o;
  ASSERT_TRUE(apply_options(json::object(), &o).ok());
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.8f);
  EXPECT_EQ(o.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(o.sampling.top_p, 0.9f);
  EXPECT_FLOAT_EQ(o.sampling.repeat_penalty, 1.1f);
  EXPECT_EQ(o.sampling.repeat_last_n, 64);
  EXPECT_EQ(o.num_predict, -1);
  EXPECT_EQ(o.num_keep, 4);
  EXPECT_TRUE(o.stop.empty());
}

TEST(Options, AllNamedOptions) {
  RunOptions o;
  json opts = {{"num_ctx", 2048}, {"num_predict", 16}, {"temperature", 0}, {"top_k", 5}, {"top_p", 0.5},
               {"min_p", 0.05}, {"typical_p", 0.7}, {"repeat_penalty", 1.2}, {"repeat_last_n", 32},
               {"presence_penalty", 0.3}, {"frequency_penalty", 0.4}, {"seed", 42}, {"stop", {"\n", "User:"}},
               {"num_keep", 8}, {"num_thread", 2}, {"mirostat", 0}};
  ASSERT_TRUE(apply_options(opts, &o).ok());
  EXPECT_EQ(o.num_ctx, 2048);
  EXPECT_EQ(o.sampling.num_ctx, 2048);
  EXPECT_EQ(o.num_predict, 16);
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.0f);
  EXPECT_EQ(o.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(o.sampling.top_p, 0.5f);
  EXPECT_FLOAT_EQ(o.sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(o.sampling.typical_p, 0.7f);
  EXPECT_FLOAT_EQ(o.sampling.repeat_penalty, 1.2f);
  EXPECT_EQ(o.sampling.repeat_last_n, 32);
  EXPECT_FLOAT_EQ(o.sampling.presence_penalty, 0.3f);
  EXPECT_FLOAT_EQ(o.sampling.frequency_penalty, 0.4f);
  EXPECT_EQ(o.sampling.seed, 42);
  EXPECT_EQ(o.stop, (std::vector<std::string>{"\n", "User:"}));
  EXPECT_EQ(o.num_keep, 8);
  EXPECT_EQ(o.num_thread, 2);
}

TEST(Options, LaterLayersOverride) {
  RunOptions o;
  ASSERT_TRUE(apply_options(json{{"temperature", 0.1}, {"stop", {"<|im_end|>"}}}, &o).ok());  // model params
  ASSERT_TRUE(apply_options(json{{"temperature", 0.9}}, &o).ok());                           // request
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.9f);
  EXPECT_EQ(o.stop, (std::vector<std::string>{"<|im_end|>"}));
}

TEST(Options, BadValuesNameTheOption) {
  RunOptions o;
  expect_error(Result<int>(apply_options(json{{"num_ctx", "big"}}, &o)), StatusCode::kInvalidArgument, "num_ctx");
  RunOptions o2;
  expect_error(Result<int>(apply_options(json{{"temperature", "hot"}}, &o2)), StatusCode::kInvalidArgument, "temperature");
  RunOptions o3;
  expect_error(Result<int>(apply_options(json{{"top_k", 1.5}}, &o3)), StatusCode::kInvalidArgument, "top_k");
  RunOptions o4;
  expect_error(Result<int>(apply_options(json{{"num_ctx", 0}}, &o4)), StatusCode::kInvalidArgument, "num_ctx");
  RunOptions o5;
  expect_error(Result<int>(apply_options(json{{"num_ctx", 1e12}}, &o5)), StatusCode::kInvalidArgument, "num_ctx");
  RunOptions o6;
  expect_error(Result<int>(apply_options(json{{"stop", 3}}, &o6)), StatusCode::kInvalidArgument, "stop");
  RunOptions o7;
  expect_error(Result<int>(apply_options(json{{"num_predict", -3}}, &o7)), StatusCode::kInvalidArgument, "num_predict");
  RunOptions o8;
  EXPECT_FALSE(apply_options(json{{"top_p", 2.0}}, &o8).ok());
  RunOptions o9;
  EXPECT_FALSE(apply_options(json::array(), &o9).ok());
}

TEST(Generate, Fields) {
  auto p = parse_generate_request(json{{"model", "m"}, {"prompt", "hi"}, {"system", "s"}, {"raw", false},
                                       {"context", {1, 2, 3}}, {"keep_alive", "10m"}, {"options", {{"seed", 1}}}});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->model, "m");
  EXPECT_TRUE(p->stream);  // Ollama streams by default
  EXPECT_EQ(p->prompt, "hi");
  EXPECT_EQ(p->system, "s");
  EXPECT_EQ(p->context, (std::vector<int32_t>{1, 2, 3}));
  ASSERT_TRUE(p->keep_alive.has_value());
  EXPECT_EQ(p->keep_alive->duration, std::chrono::minutes(10));
  EXPECT_EQ(p->options["seed"], 1);
  auto q = parse_generate_request(json{{"name", "m"}, {"stream", false}});
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->stream);
  EXPECT_FALSE(q->keep_alive.has_value());
}

TEST(Generate, Malformed) {
  expect_error(parse_generate_request(json{{"prompt", "x"}}), StatusCode::kInvalidArgument, "model is required");
  expect_error(parse_generate_request(json{{"model", "m"}, {"prompt", 5}}), StatusCode::kInvalidArgument, "'prompt'");
  expect_error(parse_generate_request(json{{"model", "m"}, {"stream", "yes"}}), StatusCode::kInvalidArgument, "'stream'");
  expect_error(parse_generate_request(json{{"model", "m"}, {"context", {1, "a"}}}), StatusCode::kInvalidArgument, "context");
  expect_error(parse_generate_request(json{{"model", "m"}, {"context", {-1}}}), StatusCode::kInvalidArgument, "context");
  expect_error(parse_generate_request(json{{"model", "m"}, {"keep_alive", "soon"}}), StatusCode::kInvalidArgument, "keep_alive");
  expect_error(parse_generate_request(json{{"model", "m"}, {"options", "x"}}), StatusCode::kInvalidArgument, "options");
  EXPECT_TRUE(parse_generate_request(json{{"model", "m"}, {"format", "json"}}).ok());
  EXPECT_TRUE(parse_generate_request(json{{"model", "m"}, {"format", ""}})->grammar == nullptr);
  expect_error(parse_generate_request(json{{"model", "m"}, {"format", "yaml"}}), StatusCode::kInvalidArgument, "format");
  expect_error(parse_generate_request(json{{"model", "m"}, {"format", {{"type", "string"}, {"pattern", "a"}}}}),
               StatusCode::kInvalidArgument, "'pattern'");
  expect_error(parse_generate_request(json{{"model", "m"}, {"images", {"abc"}}}), StatusCode::kInvalidArgument, "images");
}

TEST(Chat, Messages) {
  auto p = parse_chat_request(json{{"model", "m"}, {"messages", {{{"role", "system"}, {"content", "be brief"}},
                                                                  {{"role", "user"}, {"content", "hi"}}}}});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->chat.messages.size(), 2u);
  EXPECT_EQ(p->chat.messages[0].role, "system");
  EXPECT_EQ(p->chat.messages[1].content, "hi");
  EXPECT_TRUE(p->has_messages);
  auto load = parse_chat_request(json{{"model", "m"}});
  ASSERT_TRUE(load.ok());
  EXPECT_TRUE(load->chat.messages.empty());
  expect_error(parse_chat_request(json{{"model", "m"}, {"messages", "hi"}}), StatusCode::kInvalidArgument, "messages");
  expect_error(parse_chat_request(json{{"model", "m"}, {"messages", {{{"content", "x"}}}}}), StatusCode::kInvalidArgument,
               "role");
  expect_error(parse_chat_request(json{{"model", "m"}, {"messages", {1}}}), StatusCode::kInvalidArgument, "object");
  expect_error(parse_chat_request(json{{"model", "m"}, {"tools", {{{"type", "function"}}}}}), StatusCode::kInvalidArgument,
               "name");
  auto tools = parse_chat_request(json{{"model", "m"}, {"tools", {{{"type", "function"}, {"function", {{"name", "f"}}}}}}});
  ASSERT_TRUE(tools.ok()) << tools.status().to_string();
  EXPECT_EQ(tools->chat.tools.size(), 1u);
}

TEST(OpenAI, ChatMapping) {
  json body = {{"model", "m"},
               {"messages", {{{"role", "developer"}, {"content", "sys"}},
                             {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}}}},
               {"max_tokens", 7}, {"temperature", 0.2}, {"stop", "END"}, {"seed", 3},
               {"stream", true}, {"stream_options", {{"include_usage", true}}}};
  auto p = parse_openai_chat_request(body);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_TRUE(p->stream);
  EXPECT_TRUE(p->include_usage);
  ASSERT_EQ(p->chat.messages.size(), 2u);
  EXPECT_EQ(p->chat.messages[0].role, "system");
  EXPECT_EQ(p->chat.messages[1].content, "ab");
  RunOptions o;
  ASSERT_TRUE(apply_options(p->options, &o).ok());
  EXPECT_EQ(o.num_predict, 7);
  EXPECT_FLOAT_EQ(o.sampling.temperature, 0.2f);
  EXPECT_EQ(o.stop, (std::vector<std::string>{"END"}));
  EXPECT_EQ(o.sampling.seed, 3);
  auto q = parse_openai_chat_request(json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->stream);  // OpenAI does not stream by default
}

TEST(OpenAI, Malformed) {
  expect_error(parse_openai_chat_request(json{{"messages", {{{"role", "user"}, {"content", "x"}}}}}),
               StatusCode::kInvalidArgument, "model is required");
  expect_error(parse_openai_chat_request(json{{"model", "m"}}), StatusCode::kInvalidArgument, "messages");
  expect_error(parse_openai_chat_request(json{{"model", "m"}, {"messages", json::array()}}), StatusCode::kInvalidArgument,
               "messages");
  expect_error(parse_openai_chat_request(
                   json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}}}),
               StatusCode::kUnsupported, "image_url");
  expect_error(parse_openai_chat_request(
                   json{{"model", "m"}, {"n", 2}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}),
               StatusCode::kInvalidArgument, "'n'");
  expect_error(parse_openai_chat_request(json{{"model", "m"},
                                              {"response_format", {{"type", "xml"}}},
                                              {"messages", {{{"role", "user"}, {"content", "x"}}}}}),
               StatusCode::kInvalidArgument, "response_format");
  auto rf = parse_openai_chat_request(json{{"model", "m"}, {"response_format", {{"type", "json_object"}}},
                                           {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  ASSERT_TRUE(rf.ok()) << rf.status().to_string();
  EXPECT_TRUE(rf->grammar != nullptr);
}

TEST(OpenAI, Completion) {
  auto p = parse_openai_completion_request(json{{"model", "m"}, {"prompt", "Once"}, {"max_tokens", 3}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->prompt, "Once");
  EXPECT_TRUE(p->raw);
  auto a = parse_openai_completion_request(json{{"model", "m"}, {"prompt", {"Once"}}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->prompt, "Once");
  expect_error(parse_openai_completion_request(json{{"model", "m"}}), StatusCode::kInvalidArgument, "prompt");
  expect_error(parse_openai_completion_request(json{{"model", "m"}, {"prompt", {"a", "b"}}}), StatusCode::kUnsupported,
               "prompt");
}

}  // namespace
}  // namespace corral::server
