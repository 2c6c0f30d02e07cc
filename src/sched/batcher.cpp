#include "sched/batcher.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

namespace corral::sched {

struct Batcher::Job {
  GenerateRequest request;               // handed to the runner on admission
  StreamFn on_text;                      // the caller's callback (runs on the caller's thread)
  const std::atomic<bool>* caller_cancel = nullptr;
  std::atomic<bool> cancel{false};       // what the runner polls
  std::condition_variable cv;            // guarded by Batcher::mu_
  std::string text;                      // streamed by the worker, not yet handed to the caller
  int id = -1;                           // runner request id once admitted
  bool done = false;
  std::optional<Result<GenerateResult>> result;
};

Batcher::Batcher(Runner& runner, std::mutex& compute_mu) : runner_(runner), compute_mu_(compute_mu) {
  worker_ = std::thread([this] { worker_loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto* jobs : {&queue_}) {
    for (auto& j : *jobs) {
      j->result = unavailable("the model was unloaded before the request started");
      j->done = true;
      j->cv.notify_all();
    }
  }
  for (auto& j : active_) {
    j->result = unavailable("the model was unloaded while generating");
    j->done = true;
    j->cv.notify_all();
  }
  queue_.clear();
  active_.clear();
}

int Batcher::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

int Batcher::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(active_.size());
}

Status Batcher::exclusive(const std::function<Status(Runner&)>& fn) {
  std::lock_guard<std::mutex> compute(compute_mu_);
  return fn(runner_);
}

Result<GenerateResult> Batcher::generate(GenerateRequest request) {
  auto job = std::make_shared<Job>();
  job->on_text = std::move(request.on_text);
  job->caller_cancel = request.cancel;
  job->request = std::move(request);
  job->request.cancel = &job->cancel;
  // Runs on the worker: hand the text over; a cancelled request takes no more.
  Job* raw = job.get();
  job->request.on_text = [this, raw](std::string_view text) -> bool {
    std::lock_guard<std::mutex> lock(mu_);
    raw->text.append(text);
    raw->cv.notify_all();
    return !raw->cancel.load(std::memory_order_relaxed);
  };

  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return unavailable("the model is being unloaded");
  queue_.push_back(job);
  cv_.notify_all();
  for (;;) {
    if (!job->text.empty()) {
      std::string text = std::move(job->text);
      job->text.clear();
      if (job->on_text && !job->cancel.load()) {
        lock.unlock();
        const bool keep = job->on_text(text);
        lock.lock();
        if (!keep) job->cancel = true;
      }
      continue;
    }
    if (job->done) break;
    if (job->caller_cancel != nullptr && job->caller_cancel->load()) job->cancel = true;
    if (job->cancel.load() && job->id < 0) {
      // Still queued: leave the queue at once.
      auto it = std::find(queue_.begin(), queue_.end(), job);
      if (it != queue_.end()) {
        queue_.erase(it);
        GenerateResult r;
        r.cancelled = true;
        return r;
      }
    }
    job->cv.wait_for(lock, std::chrono::milliseconds(20));
  }
  return std::move(*job->result);
}

void Batcher::worker_loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !active_.empty(); });
      if (stopping_) return;
    }
    std::lock_guard<std::mutex> compute(compute_mu_);
    // Admit waiting requests onto free slots (first come, first served).
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.empty() || runner_.free_slots() == 0) break;
        job = queue_.front();
        queue_.pop_front();
      }
      Result<int> id = runner_.submit(std::move(job->request));
      std::lock_guard<std::mutex> lock(mu_);
      if (!id.ok()) {
        job->result = id.status();
        job->done = true;
        job->cv.notify_all();
        continue;
      }
      job->id = *id;
      active_.push_back(job);
    }
    Status st = runner_.step();  // an error fails the sequences of this step; their results say why
    (void)st;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = active_.begin(); it != active_.end();) {
      Job& j = **it;
      if (!runner_.finished(j.id)) {
        ++it;
        continue;
      }
      j.result = runner_.take_result(j.id);
      j.done = true;
      j.cv.notify_all();
      it = active_.erase(it);
    }
  }
}

}  // namespace corral::sched
