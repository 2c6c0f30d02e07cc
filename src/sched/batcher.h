// Batcher: continuous batching for one loaded model. A worker thread owns the Runner's step
// loop: requests queue here (FIFO), join the running batch as soon as a sequence slot is free
// (their prompt chunks ride along with the other sequences' decode tokens), and finish on their
// own. Callers block in generate() on their own thread, which receives the streamed text from
// the worker and calls the request's on_text there, so a slow or vanished client never stalls
// the batch; a refused write cancels that request before the next step. Forward passes of all
// models serialize on a shared compute mutex (one CPU thread pool). Depends on runner/, util/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runner/runner.h"
#include "util/status.h"

namespace corral::sched {

class Batcher {
 public:
  // `runner` and `compute_mu` outlive the Batcher.
  Batcher(Runner& runner, std::mutex& compute_mu);
  ~Batcher();  // fails queued requests (kUnavailable), cancels running ones, joins the worker
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues the request and waits for its result. request.on_text runs on the calling thread;
  // request.cancel (polled) or on_text returning false cancels it (result.cancelled).
  Result<GenerateResult> generate(GenerateRequest request);
  // Runs fn with the runner while no step is running (e.g. a low-level decode).
  Status exclusive(const std::function<Status(Runner&)>& fn);

  // Requests queued but not yet on a slot, and requests on slots (for tests and ps).
  int waiting() const;
  int running() const;

 private:
  struct Job;
  void worker_loop();

  Runner& runner_;
  std::mutex& compute_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::shared_ptr<Job>> active_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace corral::sched
