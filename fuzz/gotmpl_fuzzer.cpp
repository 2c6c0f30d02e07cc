// libFuzzer target for the Go template engine and chat rendering: the input is split at the first
// NUL byte into a template and a JSON chat request. Parsing, execution (with Ollama's data and
// functions), detection of the text as a Jinja template and render_chat must never crash, hang or
// allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "template/library.h"
#include "template/ollama.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::tmpl;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::string_view text = in.substr(0, nul);
  std::string_view request = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);

  ChatRequest req;
  Json j = Json::parse(request.begin(), request.end(), nullptr, /*allow_exceptions=*/false);
  if (auto r = chat_request_from_json(j); r.ok()) {
    req = *r;
  } else {
    req.messages = {ChatMessage{"system", "S", "", {}, {}, "", ""}, ChatMessage{"user", "hi", "", {}, {}, "", ""}};
  }
  ExecOptions exec;
  exec.max_steps = 200000;
  exec.max_output_bytes = 1u << 20;
  RenderOptions opts;
  opts.exec = exec;
  if (auto t = parse_chat_template(text, "fuzz"); t.ok()) {
    (void)render_chat(*t, req, opts);
    (void)execute_chat(*t, req, /*force_legacy=*/true, exec);
    opts.num_ctx = 64;
    opts.count_tokens = [](std::string_view s) -> corral::Result<size_t> { return s.size() / 4; };
    (void)render_chat(*t, req, opts);
  }
  if (text.size() < 4096) (void)detect_template(text);
  return 0;
}
