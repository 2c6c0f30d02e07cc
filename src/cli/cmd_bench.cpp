// corral bench MODEL -p 512 -n 128 -t N [-r REPS] [--json]: llama-bench's protocol. pp: one batch
// of p random tokens from an empty cache (logits of the last token only); tg: from an empty cache,
// n single-token decode steps, each computing logits. One untimed warm-up of each first; every
// repetition starts from a cleared cache. Prints a table (median, mean ± stddev tokens/s) or, with
// --json, one object with every repetition.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/repl.h"
#include "runner/runner.h"

namespace corral::cli {
namespace {

struct BenchFlags {
  std::string model;
  int pp = 512;
  int tg = 128;
  int threads = 0;
  int reps = 5;
  bool json = false;
  bool mmap = false;
};

struct Summary {
  double median = 0, mean = 0, stddev = 0;
};

Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return s;
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Seconds for one pp run: p tokens in one batch from an empty cache.
Result<double> run_pp(Runner& r, const std::vector<int32_t>& tokens) {
  CORRAL_TRY(r.clear_cache());
  const Clock::time_point t0 = Clock::now();
  CORRAL_TRY(r.decode(tokens, 0, 0, /*all_logits=*/false));
  return seconds_since(t0);
}

// Seconds for one tg run: n single-token steps from an empty cache.
Result<double> run_tg(Runner& r, const std::vector<int32_t>& tokens, int n) {
  CORRAL_TRY(r.clear_cache());
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    CORRAL_TRY(r.decode(std::span<const int32_t>(&tokens[static_cast<size_t>(i)], 1), 0, i, false));
  }
  return seconds_since(t0);
}

int fail(const Status& s) {
  std::fprintf(stderr, "Error: %s\n", s.to_string().c_str());
  return 1;
}

int bench(Runtime& runtime, const BenchFlags& f) {
  if (f.pp < 1 || f.tg < 1 || f.reps < 1) {
    return fail(invalid_argument("-p, -n and -r must be >= 1 (got %d, %d, %d)", f.pp, f.tg, f.reps));
  }
  RunnerOptions ro;
  ro.num_ctx = std::max(f.pp, f.tg);
  ro.batch_size = f.pp;
  ro.backend_options = backend_options_for(runtime, f.threads);
  ro.use_mmap = f.mmap || runtime.env().use_mmap;
  Result<std::unique_ptr<Runner>> loaded = Runner::load(f.model, ro, runtime.backends());
  if (!loaded.ok()) return fail(loaded.status());
  Runner& r = **loaded;
  const int threads = f.threads > 0 ? f.threads : runtime.thread_pool().size();

  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(r.model().config().vocab_size) - 1);
  std::vector<int32_t> tokens(static_cast<size_t>(std::max(f.pp, f.tg)));
  for (int32_t& t : tokens) t = pick(rng);
  const std::vector<int32_t> pp_tokens(tokens.begin(), tokens.begin() + f.pp);

  // Warm-up (untimed): page in the weights, size the arenas.
  if (Result<double> w = run_pp(r, pp_tokens); !w.ok()) return fail(w.status());
  if (Result<double> w = run_tg(r, tokens, std::min(f.tg, 4)); !w.ok()) return fail(w.status());

  std::vector<double> pp_rates, tg_rates;
  for (int i = 0; i < f.reps; ++i) {
    Result<double> pp = run_pp(r, pp_tokens);
    if (!pp.ok()) return fail(pp.status());
    pp_rates.push_back(f.pp / *pp);
    Result<double> tg = run_tg(r, tokens, f.tg);
    if (!tg.ok()) return fail(tg.status());
    tg_rates.push_back(f.tg / *tg);
  }
  const Summary pps = summarize(pp_rates), tgs = summarize(tg_rates);
  std::string name = f.model.substr(f.model.find_last_of('/') + 1);
  if (f.json) {
    nlohmann::ordered_json j;
    j["model"] = name;
    j["path"] = f.model;
    j["threads"] = threads;
    j["reps"] = f.reps;
    j["pp_tokens"] = f.pp;
    j["pp_tokens_per_s"] = pps.median;
    j["pp_mean"] = pps.mean;
    j["pp_stddev"] = pps.stddev;
    j["pp_runs"] = pp_rates;
    j["tg_tokens"] = f.tg;
    j["tg_tokens_per_s"] = tgs.median;
    j["tg_mean"] = tgs.mean;
    j["tg_stddev"] = tgs.stddev;
    j["tg_runs"] = tg_rates;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  const double size_mib = static_cast<double>(r.file().file_size()) / (1024.0 * 1024.0);
  std::printf("| %-40s | %10s | %7s | %8s | %10s | %22s |\n", "model", "size", "threads", "test",
              "median t/s", "mean t/s");
  std::printf("| %.40s | %10s | %7s | %8s | %10s | %22s |\n", "----------------------------------------",
              "----------", "-------", "--------", "----------", "----------------------");
  char size[32];
  std::snprintf(size, sizeof(size), "%.2f MiB", size_mib);
  auto row = [&](const char* test, int n, const Summary& s) {
    char t[32], mean[48];
    std::snprintf(t, sizeof(t), "%s%d", test, n);
    std::snprintf(mean, sizeof(mean), "%.2f ± %.2f", s.mean, s.stddev);
    std::printf("| %-40.40s | %10s | %7d | %8s | %10.2f | %23s |\n", name.c_str(), size, threads, t, s.median,
                mean);
  };
  row("pp", f.pp, pps);
  row("tg", f.tg, tgs);
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* sub = app.add_subcommand("bench", "Measure prompt processing (pp) and generation (tg) speed");
  sub->add_option("model", f->model, "GGUF file")->required();
  sub->add_option("-p,--n-prompt", f->pp, "Prompt tokens in one batch")->capture_default_str();
  sub->add_option("-n,--n-gen", f->tg, "Generated tokens (single-token steps)")->capture_default_str();
  sub->add_option("-t,--threads", f->threads, "CPU threads (default: CORRAL_NUM_THREADS or all cores)");
  sub->add_option("-r,--repetitions", f->reps, "Repetitions of each test")->capture_default_str();
  sub->add_flag("--json", f->json, "Print one JSON object");
  sub->add_flag("--mmap", f->mmap, "Map the GGUF instead of reading it into memory (use_mmap)");
  return Command{sub, [f](Runtime& runtime) { return bench(runtime, *f); }};
}

}  // namespace corral::cli
