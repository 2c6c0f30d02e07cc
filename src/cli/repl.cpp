#include "cli/repl.h"

#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <map>

#include "cli/repl_input.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#endif
#include "runner/chat_format.h"
#include "util/dtype.h"

namespace corral::cli {
namespace {

// "12.345" from v / 10^digits with trailing zeros (and a bare '.') removed.
std::string fixed_point(int64_t v, int digits) {
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string s = std::to_string(v / scale);
  std::string frac = std::to_string(v % scale);
  frac.insert(0, static_cast<size_t>(digits) - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) s += "." + frac;
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool starts_with(const std::string& s, std::string_view p) {
  return s.compare(0, p.size(), p) == 0;
}
bool ends_with(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

constexpr const char* kHelp =
    "Available Commands:\n"
    "  /set parameter NAME VALUE  Set a sampling parameter (temperature, top_k, top_p, min_p,\n"
    "                             typical_p, seed, num_predict, repeat_penalty, repeat_last_n,\n"
    "                             presence_penalty, frequency_penalty, stop)\n"
    "  /set system TEXT           Set the system message\n"
    "  /set verbose | quiet       Show or hide timing statistics\n"
    "  /show info                 Show details for this model\n"
    "  /show parameters           Show the current parameters\n"
    "  /show template             Show the chat template\n"
    "  /clear                     Clear the conversation\n"
    "  /bye                       Exit\n"
    "  /?, /help                  Help for a command\n"
    "\n"
    "Use \"\"\" to begin a multi-line message.\n"
    "Ctrl+C stops the current answer; Ctrl+D or /bye exits.\n";

// Applies /set parameter NAME VALUE; returns an error message or "".
std::string set_parameter(ChatSettings& s, const std::string& name, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const double num = std::strtod(value.c_str(), &end);
  const bool numeric = end != value.c_str() && *end == '\0' && errno == 0;
  auto need_number = [&]() -> bool { return numeric; };
  sample::SamplerOptions o = s.sampling;
  if (name == "stop") {
    s.stop.push_back(value);
    return "";
  }
  if (!need_number()) return "value '" + value + "' for '" + name + "' is not a number";
  if (name == "temperature")
    o.temperature = static_cast<float>(num);
  else if (name == "top_k")
    o.top_k = static_cast<int>(num);
  else if (name == "top_p")
    o.top_p = static_cast<float>(num);
  else if (name == "min_p")
    o.min_p = static_cast<float>(num);
  else if (name == "typical_p")
    o.typical_p = static_cast<float>(num);
  else if (name == "seed")
    o.seed = static_cast<int64_t>(num);
  else if (name == "repeat_penalty")
    o.repeat_penalty = static_cast<float>(num);
  else if (name == "repeat_last_n")
    o.repeat_last_n = static_cast<int>(num);
  else if (name == "presence_penalty")
    o.presence_penalty = static_cast<float>(num);
  else if (name == "frequency_penalty")
    o.frequency_penalty = static_cast<float>(num);
  else if (name == "num_predict") {
    if (num < -2) return "num_predict must be >= -2";
    s.num_predict = static_cast<int>(num);
    return "";
  } else if (name == "num_ctx") {
    return "num_ctx is fixed when the model loads: restart with --num-ctx";
  } else {
    return "unknown parameter '" + name + "'";
  }
  Status st = o.validate();
  if (!st.ok()) return st.message();
  s.sampling = o;
  return "";
}

void show_info(const Runner& runner) {
  const ModelConfig& c = runner.model().config();
  uint64_t params = 0;
  std::map<std::string, int> dtypes;
  for (const GgufTensorInfo& t : runner.file().tensors()) {
    params += t.num_elements();
    if (t.shape.size() >= 2) dtypes[std::string(dtype_traits(t.dtype).name)]++;
  }
  std::string quant;
  int best = 0;
  for (const auto& [name, n] : dtypes) {
    if (n > best) best = n, quant = name;
  }
  std::printf("  Model\n");
  std::printf("    %-20s %s\n", "architecture", c.architecture.c_str());
  std::printf("    %-20s %.1fM\n", "parameters", static_cast<double>(params) / 1e6);
  std::printf("    %-20s %" PRId64 "\n", "context length", c.context_length);
  std::printf("    %-20s %" PRId64 "\n", "embedding length", c.hidden_size);
  std::printf("    %-20s %s\n", "quantization", quant.c_str());
  std::printf("    %-20s %s (%s)\n", "template", runner.chat_format().name.c_str(),
              runner.chat_format().detection.c_str());
  std::printf("    %-20s %d\n", "num_ctx", runner.options().num_ctx);
  std::printf("    %-20s %s\n\n", "file", runner.path().c_str());
}

void show_parameters(const ChatSettings& s) {
  const sample::SamplerOptions& o = s.sampling;
  std::printf("  Parameters\n");
  std::printf("    %-18s %g\n    %-18s %d\n    %-18s %g\n    %-18s %g\n", "temperature", o.temperature,
              "top_k", o.top_k, "top_p", o.top_p, "min_p", o.min_p);
  std::printf("    %-18s %g\n    %-18s %d\n    %-18s %" PRId64 "\n    %-18s %d\n", "repeat_penalty",
              o.repeat_penalty, "repeat_last_n", o.repeat_last_n, "seed", o.seed, "num_predict",
              s.num_predict);
  for (const std::string& stop : s.stop) std::printf("    %-18s \"%s\"\n", "stop", stop.c_str());
  std::printf("\n");
}

// /show info and /show template of a model on the server (POST /api/show).
void show_remote(Conversation& conv, const std::string& what) {
#if CORRAL_WITH_SERVER
  Result<nlohmann::json> r = conv.client().post("/api/show", nlohmann::json{{"model", conv.model()}});
  if (!r.ok()) {
    std::printf("Couldn't show %s: %s\n", what.c_str(), r.status().message().c_str());
    return;
  }
  if (what == "template") {
    std::printf("%s\n", r->value("template", "").c_str());
    return;
  }
  const nlohmann::json d = r->value("details", nlohmann::json::object());
  std::printf("  Model\n");
  std::printf("    %-20s %s\n", "name", conv.model().c_str());
  std::printf("    %-20s %s\n", "architecture", d.value("family", "").c_str());
  std::printf("    %-20s %s\n", "parameters", d.value("parameter_size", "").c_str());
  std::printf("    %-20s %s\n\n", "quantization", d.value("quantization_level", "").c_str());
#else
  (void)conv;
  (void)what;
#endif
}

// Handles a /command; returns false when the REPL should exit.
bool handle_command(Conversation& conv, const std::string& line) {
  std::vector<std::string> words;
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  const std::string& cmd = words[0];
  ChatSettings& s = conv.settings();
  if (cmd == "/bye" || cmd == "/exit") return false;
  if (cmd == "/?" || cmd == "/help") {
    std::fputs(kHelp, stdout);
  } else if (cmd == "/clear") {
    conv.clear();
    std::printf("Cleared session context\n");
  } else if (cmd == "/set" && words.size() >= 2) {
    if (words[1] == "parameter" && words.size() >= 4) {
      // The value is the rest of the line (a stop string may contain spaces).
      const size_t at = line.find(words[3], line.find(words[2]) + words[2].size());
      const std::string value = trim(line.substr(at));
      const std::string err = set_parameter(s, words[2], value);
      if (err.empty()) {
        std::printf("Set parameter '%s' to '%s'\n", words[2].c_str(), value.c_str());
      } else {
        std::printf("Couldn't set parameter: %s\n", err.c_str());
      }
    } else if (words[1] == "system") {
      const size_t at = line.find("system") + 6;
      std::string text = trim(line.substr(at));
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
      s.system = text;
      std::printf("Set system message.\n");
    } else if (words[1] == "verbose") {
      s.verbose = true;
      std::printf("Set 'verbose' mode.\n");
    } else if (words[1] == "quiet") {
      s.verbose = false;
      std::printf("Set 'quiet' mode.\n");
    } else {
      std::printf("Usage: /set parameter NAME VALUE | /set system TEXT | /set verbose | /set quiet\n");
    }
  } else if (cmd == "/show" && words.size() >= 2) {
    if (conv.remote() && (words[1] == "info" || words[1] == "template")) {
      show_remote(conv, words[1]);
    } else if (words[1] == "info") {
      show_info(conv.runner());
    } else if (words[1] == "parameters") {
      show_parameters(s);
    } else if (words[1] == "template") {
      std::printf("%s\n", conv.runner().chat_format().tmpl.source().c_str());
    } else if (words[1] == "system") {
      std::printf("%s\n", s.system.empty() ? "No system message was specified." : s.system.c_str());
    } else {
      std::printf("Usage: /show info | /show parameters | /show template | /show system\n");
    }
  } else {
    std::printf("Unknown command '%s'. Type /? for help\n", cmd.c_str());
  }
  return true;
}

}  // namespace

void write_all(FILE* out, std::string_view text) {
  // Straight to the descriptor, retrying writes a Ctrl+C (SIGINT, no SA_RESTART) interrupts.
  std::fflush(out);
  const int fd = fileno(out);
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  if (ns < 0) ns = -ns;
  if (ns < 1000) return sign + std::to_string(ns) + "ns";
  if (ns < 1000000) return sign + fixed_point(ns, 3) + "\xC2\xB5s";
  if (ns < 1000000000) return sign + fixed_point(ns, 6) + "ms";
  const int64_t hours = ns / 3600000000000LL;
  const int64_t minutes = ns / 60000000000LL % 60;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return out + fixed_point(ns % 60000000000LL, 9) + "s";
}

void print_stats(const GenerateStats& st, FILE* out) {
  auto rate = [](int64_t n, int64_t ns) {
    return ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(ns) : 0.0;
  };
  std::fprintf(out, "total duration:       %s\n", go_duration(st.total_ns).c_str());
  std::fprintf(out, "load duration:        %s\n", go_duration(st.load_ns).c_str());
  std::fprintf(out, "prompt eval count:    %" PRId64 " token(s)\n", st.prompt_eval_count);
  std::fprintf(out, "prompt eval duration: %s\n", go_duration(st.prompt_eval_ns).c_str());
  std::fprintf(out, "prompt eval rate:     %.2f tokens/s\n", rate(st.prompt_eval_count, st.prompt_eval_ns));
  std::fprintf(out, "eval count:           %" PRId64 " token(s)\n", st.eval_count);
  std::fprintf(out, "eval duration:        %s\n", go_duration(st.eval_ns).c_str());
  std::fprintf(out, "eval rate:            %.2f tokens/s\n", rate(st.eval_count, st.eval_ns));
}

Result<std::vector<int32_t>> Conversation::prompt_tokens(const std::string& text) const {
  if (runner_ == nullptr) return unsupported("prompt tokens are counted by the server in client mode");
  const Runner& runner = *runner_;
  const Tokenizer& tok = runner.tokenizer();
  if (settings_.raw) return tok.encode(text, /*add_special=*/true, /*parse_special=*/true);
  std::vector<tmpl::ChatMessage> messages;
  if (!settings_.system.empty())
    messages.push_back(tmpl::ChatMessage{.role = "system", .content = settings_.system});
  messages.insert(messages.end(), history_.begin(), history_.end());
  messages.push_back(tmpl::ChatMessage{.role = "user", .content = text});
  CORRAL_ASSIGN_OR_RETURN(std::string prompt,
                          render_conversation(runner.chat_format(), messages, tok,
                                              static_cast<size_t>(runner.options().num_ctx)));
  return tok.encode(prompt, /*add_special=*/true, /*parse_special=*/true);
}

Result<GenerateResult> Conversation::send(const std::string& text, const std::atomic<bool>* cancel,
                                          FILE* out) {
  if (remote()) return send_remote(text, cancel, out);
  GenerateRequest req;
  CORRAL_ASSIGN_OR_RETURN(req.prompt, prompt_tokens(text));
  req.sampling = settings_.sampling;
  req.num_predict = settings_.num_predict;
  if (!settings_.raw) req.stop = runner_->chat_format().stop;
  req.stop.insert(req.stop.end(), settings_.stop.begin(), settings_.stop.end());
  req.cancel = cancel;
  req.context_shift = true;  // as the server does: a long answer may go past num_ctx
  req.on_text = [out](std::string_view piece) {
    write_all(out, piece);
    return true;
  };
  CORRAL_ASSIGN_OR_RETURN(GenerateResult result, runner_->generate(std::move(req)));
  if (!settings_.raw && !result.cancelled) {
    history_.push_back(tmpl::ChatMessage{.role = "user", .content = text});
    history_.push_back(tmpl::ChatMessage{.role = "assistant", .content = result.text});
  }
  return result;
}

Result<GenerateResult> Conversation::send_remote(const std::string& text, const std::atomic<bool>* cancel,
                                                 FILE* out) {
#if CORRAL_WITH_SERVER
  const sample::SamplerOptions& o = settings_.sampling;
  nlohmann::json options = {{"temperature", o.temperature},
                            {"top_k", o.top_k},
                            {"top_p", o.top_p},
                            {"min_p", o.min_p},
                            {"repeat_penalty", o.repeat_penalty},
                            {"repeat_last_n", o.repeat_last_n},
                            {"num_predict", settings_.num_predict}};
  if (o.seed >= 0) options["seed"] = o.seed;
  if (num_ctx_ > 0) options["num_ctx"] = num_ctx_;
  if (num_thread_ > 0) options["num_thread"] = num_thread_;
  if (!settings_.stop.empty()) options["stop"] = settings_.stop;
  nlohmann::json body = {{"model", model_}, {"stream", true}, {"options", options}};
  std::string path = "/api/chat";
  if (settings_.raw) {
    path = "/api/generate";
    body["prompt"] = text;
    body["raw"] = true;
  } else {
    nlohmann::json messages = nlohmann::json::array();
    if (!settings_.system.empty()) messages.push_back({{"role", "system"}, {"content", settings_.system}});
    for (const tmpl::ChatMessage& m : history_)
      messages.push_back({{"role", m.role}, {"content", m.content}});
    messages.push_back({{"role", "user"}, {"content", text}});
    body["messages"] = messages;
  }
  GenerateResult result;
  Status st = client_->post_stream(path, body, [&](const nlohmann::json& line) {
    if (cancel != nullptr && cancel->load()) {
      result.cancelled = true;
      return false;  // closing the connection cancels the generation on the server
    }
    std::string piece = settings_.raw ? line.value("response", "")
                                      : line.value("message", nlohmann::json::object()).value("content", "");
    if (!piece.empty()) {
      write_all(out, piece);
      result.text += piece;
    }
    if (line.value("done", false)) {
      GenerateStats& s = result.stats;
      s.total_ns = line.value("total_duration", int64_t{0});
      s.load_ns = line.value("load_duration", int64_t{0});
      s.prompt_eval_count = line.value("prompt_eval_count", int64_t{0});
      s.prompt_eval_ns = line.value("prompt_eval_duration", int64_t{0});
      s.eval_count = line.value("eval_count", int64_t{0});
      s.eval_ns = line.value("eval_duration", int64_t{0});
      const std::string reason = line.value("done_reason", "");
      result.done_reason = reason == "length" ? sample::DoneReason::kLength : sample::DoneReason::kStop;
    }
    return true;
  });
  if (cancel != nullptr && cancel->load()) result.cancelled = true;
  if (!st.ok() && !result.cancelled) return st;
  if (!settings_.raw && !result.cancelled) {
    history_.push_back(tmpl::ChatMessage{.role = "user", .content = text});
    history_.push_back(tmpl::ChatMessage{.role = "assistant", .content = result.text});
  }
  return result;
#else
  (void)text;
  (void)cancel;
  (void)out;
  return unsupported("this corral was built without the server layer");
#endif
}

int run_repl(Conversation& conv) {
  std::atomic<bool>& interrupted = install_interrupt_flag();
  LineReader reader;
  bool interrupted_at_prompt = false;
  for (;;) {
    std::string line;
    LineReader::Outcome got = reader.read_line(">>> ", &line);
    if (got == LineReader::Outcome::kEof) {
      std::printf("\n");
      return 0;
    }
    if (got == LineReader::Outcome::kInterrupted) {
      if (interrupted_at_prompt) {
        std::printf("\n");
        return 0;
      }
      interrupted_at_prompt = true;
      std::printf("\nUse Ctrl + d or /bye to exit.\n");
      continue;
    }
    interrupted_at_prompt = false;
    std::string text = line;
    if (starts_with(trim(line), "\"\"\"")) {
      text = trim(line).substr(3);
      bool closed = ends_with(text, "\"\"\"");
      if (closed) text.resize(text.size() - 3);
      while (!closed) {
        std::string more;
        got = reader.read_line("... ", &more);
        if (got != LineReader::Outcome::kLine) break;
        closed = ends_with(trim(more), "\"\"\"");
        if (closed) more = trim(more).substr(0, trim(more).size() - 3);
        text += "\n" + more;
      }
      if (!closed) {
        std::printf("\n");
        if (got == LineReader::Outcome::kEof) return 0;
        continue;  // Ctrl+C abandons the message
      }
    }
    text = trim(text);
    if (text.empty()) continue;
    if (text[0] == '/') {
      if (!handle_command(conv, text)) return 0;
      continue;
    }
    // A Ctrl+C from here on (the line is in) stops this answer.
    Result<GenerateResult> r = conv.send(text, &interrupted, stdout);
    interrupted.store(false);
    if (!r.ok()) {
      std::fprintf(stderr, "Error: %s\n", r.status().to_string().c_str());
      continue;
    }
    if (!r->text.empty() && r->text.back() != '\n') std::printf("\n");
    std::printf("\n");
    std::fflush(stdout);
    if (conv.settings().verbose) print_stats(r->stats, stderr);
  }
}

}  // namespace corral::cli
