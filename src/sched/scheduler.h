// Scheduler: which models are loaded. A request acquires a Lease on a model (loading it through
// the RunnerLoader on first use, evicting the least recently used idle model when
// max_loaded_models are loaded), generates through the model's Batcher (its requests decode
// together in one batch, up to the runner's sequence slots; forward passes of different models
// take turns on the shared CPU thread pool), and on release the model stays loaded for its keep_alive (0:
// unload now, negative: forever); a reaper thread unloads expired models. At most max_queue requests may be
// admitted at once: more are refused with kUnavailable (the server answers 503). Depends on runner/ and
// util/; knows nothing of HTTP or the store.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runner/runner.h"
#include "sched/batcher.h"
#include "sched/keep_alive.h"
#include "util/status.h"

namespace corral::sched {

// What to load and how long to keep it.
struct ModelSpec {
  std::string name;        // display name, e.g. "smollm2:latest" (the key of a loaded model)
  std::string model_path;  // the GGUF file
  std::string digest;      // manifest digest (shown by ps)
  uint64_t size = 0;       // bytes (shown by ps)
  int num_ctx = 4096;
  int num_thread = 0;  // CPU threads of its backend (0: the shared pool); another value reloads
  int use_mmap = -1;   // 1 map the GGUF, 0 read it in, -1 the default; another value reloads
  KeepAlive keep_alive;
};

// One loaded model as `ps` shows it.
struct LoadedModel {
  std::string name;
  std::string model_path;
  std::string digest;
  uint64_t size = 0;
  int num_ctx = 0;
  int num_thread = 0;
  bool forever = false;
  std::chrono::system_clock::time_point expires_at;  // meaningful unless forever
  int active_requests = 0;
};

struct SchedulerOptions {
  int max_loaded_models = 3;      // <= 0 picks 3
  int max_queue = 512;            // requests admitted at once before kUnavailable
  int default_num_thread = 0;     // a spec asking for this many threads means the default (0)
  bool default_use_mmap = false;  // what use_mmap -1 means (CORRAL_USE_MMAP)
};

// Loads a model for a spec whose defaults are resolved (num_thread 0: the default; use_mmap 0 or 1).
using RunnerLoader = std::function<Result<std::unique_ptr<Runner>>(const ModelSpec&)>;

class Scheduler {
  struct Entry;

 public:
  Scheduler(SchedulerOptions options, RunnerLoader loader);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // A model in use by one request. Releasing it (destruction) starts its keep_alive.
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Runner& runner();
    // Nanoseconds this request spent loading the model (0 when it was already loaded).
    int64_t load_ns() const { return load_ns_; }
    // Runs one generation: it joins the model's running batch (continuous batching over the
    // runner's sequence slots) or waits in its queue. Forward passes of all models serialize.
    Result<GenerateResult> generate(GenerateRequest request);
    // Runs fn with the runner while no batch step runs (low-level decode, embeddings).
    Status exclusive(const std::function<Status(Runner&)>& fn);

   private:
    friend class Scheduler;
    Lease(Scheduler* sched, std::shared_ptr<Entry> entry, int64_t load_ns)
        : sched_(sched), entry_(std::move(entry)), load_ns_(load_ns) {}
    Scheduler* sched_;
    std::shared_ptr<Entry> entry_;
    int64_t load_ns_;
  };

  // Admits a request and returns the loaded model. kUnavailable when max_queue requests are
  // already admitted; kCancelled when *cancel becomes true while waiting; load errors as the
  // loader reports them.
  Result<std::unique_ptr<Lease>> acquire(const ModelSpec& spec, const std::atomic<bool>* cancel = nullptr);
  // Unloads `name` now if idle, else as soon as its requests finish. False if not loaded.
  bool unload(const std::string& name);
  // Whether `name` is loaded (or loading).
  bool is_loaded(const std::string& name) const;
  std::vector<LoadedModel> loaded() const;
  // Requests admitted right now (running or waiting).
  int in_flight() const;

 private:
  void release(const std::shared_ptr<Entry>& entry);
  void reaper_loop();
  // Removes idle entries whose time is up; returns their runners to destroy outside the lock.
  std::vector<std::unique_ptr<Runner>> collect_expired_locked(std::chrono::steady_clock::time_point now);
  std::unique_ptr<Runner> erase_locked(const std::shared_ptr<Entry>& entry);

  SchedulerOptions options_;
  RunnerLoader loader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // entries changed (loaded, released, unloaded)
  std::condition_variable reaper_cv_;
  std::vector<std::shared_ptr<Entry>> entries_;
  int in_flight_ = 0;
  bool stopping_ = false;
  std::mutex compute_mu_;  // one forward pass at a time, over all models
  std::thread reaper_;
};

}  // namespace corral::sched
