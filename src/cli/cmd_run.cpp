// corral run MODEL [PROMPT...]: one-shot generation with a prompt argument or piped stdin, else
// the interactive REPL. MODEL is a store name or a GGUF path. A name goes to the server at
// CORRAL_HOST when one answers (streaming /api/chat); with none running, and for a GGUF path,
// the model runs in this process.
#include <unistd.h>

#include <filesystem>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/repl.h"
#include "cli/repl_input.h"
#include "cli/store_cmds.h"
#include "runner/runner.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#endif

namespace corral::cli {
namespace {

struct RunFlags {
  std::string model;
  std::vector<std::string> prompt;
  bool raw = false;
  bool verbose = false;
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.9f;
  float min_p = 0.0f;
  int64_t seed = -1;
  int num_predict = -1;
  int num_ctx = 0;  // 0: min(4096, the model's training context)
  int threads = 0;  // 0: CORRAL_NUM_THREADS / the machine's
  float repeat_penalty = 1.1f;
  int repeat_last_n = 64;
  int batch_size = 512;
  std::vector<std::string> stop;
  std::string system;
};

int fail(const Status& s) {
  std::fprintf(stderr, "Error: %s\n", s.to_string().c_str());
  return 1;
}

}  // namespace

BackendOptions backend_options_for(Runtime& runtime, int threads) {
  if (threads <= 0) return runtime.backend_options();  // the process pool
  BackendOptions o;                                    // the backend owns a pool of exactly `threads` threads
  o.num_threads = threads;
  o.cpu_isa = runtime.env().cpu_isa;
  o.repack_weights = runtime.env().cpu_repack;
  return o;
}

namespace {

std::string read_stdin() {
  std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return all;
}

ChatSettings settings_from(const RunFlags& f, int num_ctx) {
  ChatSettings settings;
  settings.sampling.temperature = f.temperature;
  settings.sampling.top_k = f.top_k;
  settings.sampling.top_p = f.top_p;
  settings.sampling.min_p = f.min_p;
  settings.sampling.seed = f.seed;
  settings.sampling.repeat_penalty = f.repeat_penalty;
  settings.sampling.repeat_last_n = f.repeat_last_n;
  settings.sampling.num_ctx = num_ctx;
  settings.num_predict = f.num_predict;
  settings.stop = f.stop;
  settings.system = f.system;
  settings.raw = f.raw;
  settings.verbose = f.verbose;
  return settings;
}

// The REPL, or one answer to `prompt`.
int converse(Conversation& conv, const std::string& prompt, bool piped, bool verbose) {
  if (prompt.empty() && !piped) return run_repl(conv);
  if (prompt.empty()) return fail(invalid_argument("the prompt read from standard input is empty"));
  std::atomic<bool>& interrupted = install_interrupt_flag();
  Result<GenerateResult> r = conv.send(prompt, &interrupted, stdout);
  if (!r.ok()) return fail(r.status());
  if (!r->text.empty() && r->text.back() != '\n') std::printf("\n");
  std::fflush(stdout);
  if (verbose) print_stats(r->stats, stderr);
  return r->cancelled ? 130 : 0;
}

int run(Runtime& runtime, const RunFlags& f) {
  std::string prompt;
  const bool piped = isatty(STDIN_FILENO) == 0;
  if (piped) prompt = read_stdin();
  for (const std::string& w : f.prompt) {
    if (!prompt.empty()) prompt += " ";
    prompt += w;
  }
  std::error_code ec;
  // A GGUF path (existing or not: then loading it names the file), else a model name.
  const std::string& m = f.model;
  const bool is_file = std::filesystem::is_regular_file(m, ec) || m.starts_with("/") || m.starts_with("./") ||
                       m.starts_with("../") || m.ends_with(".gguf");

#if CORRAL_WITH_SERVER
  // A model name and a server that answers: be its client.
  if (!is_file) {
    Result<ApiClient> client = ApiClient::from_env(runtime.env());
    if (client.ok() && client->get("/api/version").ok()) {
      ChatSettings settings = settings_from(f, f.num_ctx > 0 ? f.num_ctx : 4096);
      if (Status s = settings.sampling.validate(); !s.ok()) return fail(s);
      Conversation conv(*client, f.model, std::move(settings), f.num_ctx);
      conv.set_num_thread(f.threads);  // --threads: the server loads the model with that many
      return converse(conv, prompt, piped, f.verbose);
    }
  }
#endif

  std::string path = f.model;
  if (!is_file) {
    Result<std::string> blob = store_model_path(runtime, f.model);
    if (!blob.ok()) return fail(blob.status());
    path = *blob;
  }
  RunnerOptions ro;
  ro.batch_size = f.batch_size;
  ro.backend_options = backend_options_for(runtime, f.threads);
  ro.dump = dump_options_from_env(runtime.env());
  ro.use_mmap = runtime.env().use_mmap;
  // The context: --num-ctx, else Ollama's default 4096 capped at the model's training context
  // (read before loading so the cache is sized once).
  ro.num_ctx = f.num_ctx > 0 ? f.num_ctx : 4096;
  if (f.num_ctx <= 0) {
    if (Result<GgufFile> file = GgufFile::open(path); file.ok()) {
      const std::string arch = file->architecture();
      if (std::optional<int64_t> n = file->get_int(arch + ".context_length"); n && *n > 0) {
        ro.num_ctx = static_cast<int>(std::min<int64_t>(4096, *n));
      }
    }
  }
  Result<std::unique_ptr<Runner>> runner = Runner::load(path, ro, runtime.backends());
  if (!runner.ok()) return fail(runner.status());

  ChatSettings settings = settings_from(f, ro.num_ctx);
  if (Status s = settings.sampling.validate(); !s.ok()) return fail(s);
  Conversation conv(**runner, std::move(settings));
  return converse(conv, prompt, piped, f.verbose);
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* sub = app.add_subcommand("run", "Run a model: one answer for a prompt, else an interactive chat");
  sub->add_option("model", f->model,
                  "Model name (served by a running server, else from the store) or GGUF file")
      ->required();
  sub->add_option("prompt", f->prompt, "Prompt (also read from piped standard input)");
  sub->add_flag("--raw", f->raw, "Send the prompt as is: no chat template");
  sub->add_flag("--verbose", f->verbose, "Print timings after each answer");
  sub->add_option("--temperature", f->temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  sub->add_option("--top-k", f->top_k, "Top-k (0: off)")->capture_default_str();
  sub->add_option("--top-p", f->top_p, "Top-p (1: off)")->capture_default_str();
  sub->add_option("--min-p", f->min_p, "Min-p (0: off)")->capture_default_str();
  sub->add_option("--seed", f->seed, "Random seed (-1: random)")->capture_default_str();
  sub->add_option("--num-predict", f->num_predict, "Most tokens to generate (-1: until the context is full)")
      ->capture_default_str();
  sub->add_option("--num-ctx", f->num_ctx,
                  "Context window in tokens (default: 4096 or the model's, if smaller)");
  sub->add_option("--threads", f->threads, "CPU threads (default: CORRAL_NUM_THREADS or all cores)");
  sub->add_option("--repeat-penalty", f->repeat_penalty, "Repetition penalty (1: off)")
      ->capture_default_str();
  sub->add_option("--repeat-last-n", f->repeat_last_n, "Tokens the repetition penalty looks back")
      ->capture_default_str();
  sub->add_option("--batch-size", f->batch_size, "Most prompt tokens per forward pass")
      ->capture_default_str();
  sub->add_option("--stop", f->stop, "Stop string (repeatable)")->allow_extra_args(false);
  sub->add_option("--system", f->system, "System message");
  return Command{sub, [f](Runtime& runtime) { return run(runtime, *f); }};
}

}  // namespace corral::cli
