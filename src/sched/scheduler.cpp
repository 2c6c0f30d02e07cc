#include "sched/scheduler.h"

#include <algorithm>

namespace corral::sched {

using Clock = std::chrono::steady_clock;

struct Scheduler::Entry {
  ModelSpec spec;
  std::unique_ptr<Runner> runner;
  std::unique_ptr<Batcher> batcher;  // drives runner; destroyed first
  bool loading = true;
  int refs = 0;
  bool unload_when_idle = false;
  Clock::time_point expires = Clock::time_point::max();  // idle deadline (max while in use / forever)
  std::chrono::system_clock::time_point expires_wall;
  Clock::time_point last_used = Clock::now();
};

Scheduler::Scheduler(SchedulerOptions options, RunnerLoader loader)
    : options_(options), loader_(std::move(loader)) {
  if (options_.max_loaded_models <= 0) options_.max_loaded_models = 3;
  if (options_.max_queue <= 0) options_.max_queue = 512;
  reaper_ = std::thread([this] { reaper_loop(); });
}

Scheduler::~Scheduler() {
  std::vector<std::unique_ptr<Runner>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& e : entries_) {
      e->batcher.reset();
      doomed.push_back(std::move(e->runner));
    }
    entries_.clear();
  }
  reaper_cv_.notify_all();
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

Scheduler::Lease::~Lease() {
  sched_->release(entry_);
}

Runner& Scheduler::Lease::runner() {
  return *entry_->runner;
}

Result<GenerateResult> Scheduler::Lease::generate(GenerateRequest request) {
  return entry_->batcher->generate(std::move(request));
}

Status Scheduler::Lease::exclusive(const std::function<Status(Runner&)>& fn) {
  return entry_->batcher->exclusive(fn);
}

std::unique_ptr<Runner> Scheduler::erase_locked(const std::shared_ptr<Entry>& entry) {
  auto it = std::find(entries_.begin(), entries_.end(), entry);
  if (it != entries_.end()) entries_.erase(it);
  entry->batcher.reset();  // idle here (no leases) unless the scheduler is shutting down
  return std::move(entry->runner);
}

Result<std::unique_ptr<Scheduler::Lease>> Scheduler::acquire(const ModelSpec& requested,
                                                             const std::atomic<bool>* cancel) {
  ModelSpec spec = requested;
  if (spec.num_thread == options_.default_num_thread) spec.num_thread = 0;
  if (spec.use_mmap < 0) spec.use_mmap = options_.default_use_mmap ? 1 : 0;
  std::unique_lock<std::mutex> lock(mu_);
  if (in_flight_ >= options_.max_queue) {
    return unavailable("server busy, please try again: maximum pending requests (%d) exceeded",
                       options_.max_queue);
  }
  ++in_flight_;
  std::vector<std::unique_ptr<Runner>> doomed;  // destroyed without the lock held
  auto fail = [&](Status s) {
    --in_flight_;
    cv_.notify_all();
    lock.unlock();
    doomed.clear();
    return s;
  };
  auto wait = [&] { cv_.wait_for(lock, std::chrono::milliseconds(100)); };
  for (;;) {
    if (stopping_) return fail(unavailable("server is shutting down"));
    if (cancel && cancel->load())
      return fail(cancelled("request cancelled while waiting for model '%s'", spec.name.c_str()));
    std::shared_ptr<Entry> e;
    for (auto& x : entries_) {
      if (x->spec.name == spec.name) e = x;
    }
    if (e) {
      if (e->loading) {
        wait();
        continue;
      }
      if (e->spec.model_path == spec.model_path && e->spec.num_ctx == spec.num_ctx &&
          e->spec.num_thread == spec.num_thread && e->spec.use_mmap == spec.use_mmap &&
          !e->unload_when_idle) {
        ++e->refs;
        e->spec.keep_alive = spec.keep_alive;
        e->expires = Clock::time_point::max();
        return std::unique_ptr<Lease>(new Lease(this, e, 0));
      }
      // Loaded with other settings (or being stopped): reload once it is idle.
      if (e->refs == 0) {
        doomed.push_back(erase_locked(e));
        lock.unlock();
        doomed.clear();
        lock.lock();
      } else {
        wait();
      }
      continue;
    }
    if (static_cast<int>(entries_.size()) >= options_.max_loaded_models) {
      std::shared_ptr<Entry> victim;
      for (auto& x : entries_) {
        if (!x->loading && x->refs == 0 && (!victim || x->last_used < victim->last_used)) victim = x;
      }
      if (!victim) {
        wait();
        continue;
      }
      doomed.push_back(erase_locked(victim));
      lock.unlock();
      doomed.clear();
      lock.lock();
      continue;
    }
    auto entry = std::make_shared<Entry>();
    entry->spec = spec;
    entry->refs = 1;
    entries_.push_back(entry);
    lock.unlock();
    auto t0 = Clock::now();
    Result<std::unique_ptr<Runner>> runner = loader_(spec);
    int64_t load_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    lock.lock();
    if (!runner.ok()) {
      erase_locked(entry);
      return fail(runner.status());
    }
    entry->runner = std::move(runner).value();
    entry->batcher = std::make_unique<Batcher>(*entry->runner, compute_mu_);
    entry->loading = false;
    cv_.notify_all();
    return std::unique_ptr<Lease>(new Lease(this, entry, load_ns));
  }
}

void Scheduler::release(const std::shared_ptr<Entry>& entry) {
  std::unique_ptr<Runner> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    if (--entry->refs == 0) {
      auto now = Clock::now();
      entry->last_used = now;
      auto ka = entry->spec.keep_alive.duration;
      if (entry->unload_when_idle || ka.count() == 0) {
        doomed = erase_locked(entry);
      } else if (ka.count() < 0) {
        entry->expires = Clock::time_point::max();
      } else {
        entry->expires = now + ka;
        entry->expires_wall = std::chrono::system_clock::now() +
                              std::chrono::duration_cast<std::chrono::system_clock::duration>(ka);
      }
    }
  }
  cv_.notify_all();
  reaper_cv_.notify_all();
}

bool Scheduler::unload(const std::string& name) {
  std::unique_ptr<Runner> doomed;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& e : std::vector<std::shared_ptr<Entry>>(entries_)) {
      if (e->spec.name != name) continue;
      found = true;
      if (e->refs == 0 && !e->loading) {
        doomed = erase_locked(e);
      } else {
        e->unload_when_idle = true;
      }
    }
  }
  cv_.notify_all();
  return found;
}

bool Scheduler::is_loaded(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_) {
    if (e->spec.name == name) return true;
  }
  return false;
}

std::vector<LoadedModel> Scheduler::loaded() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LoadedModel> out;
  for (auto& e : entries_) {
    if (e->loading) continue;
    LoadedModel m;
    m.name = e->spec.name;
    m.model_path = e->spec.model_path;
    m.digest = e->spec.digest;
    m.size = e->spec.size;
    m.num_ctx = e->spec.num_ctx;
    m.num_thread = e->spec.num_thread;
    m.active_requests = e->refs;
    m.forever = e->spec.keep_alive.forever();
    if (e->refs > 0 && !m.forever) {
      // In use: it expires keep_alive after the request ends; show that from now.
      m.expires_at =
          std::chrono::system_clock::now() +
          std::chrono::duration_cast<std::chrono::system_clock::duration>(e->spec.keep_alive.duration);
    } else {
      m.expires_at = e->expires_wall;
    }
    out.push_back(std::move(m));
  }
  return out;
}

int Scheduler::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

std::vector<std::unique_ptr<Runner>> Scheduler::collect_expired_locked(Clock::time_point now) {
  std::vector<std::unique_ptr<Runner>> doomed;
  for (auto& e : std::vector<std::shared_ptr<Entry>>(entries_)) {
    if (!e->loading && e->refs == 0 && e->expires <= now) doomed.push_back(erase_locked(e));
  }
  return doomed;
}

void Scheduler::reaper_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    for (auto& e : entries_) {
      if (!e->loading && e->refs == 0) next = std::min(next, e->expires);
    }
    if (next == Clock::time_point::max()) {
      reaper_cv_.wait(lock);
    } else {
      reaper_cv_.wait_until(lock, next);
    }
    if (stopping_) break;
    auto doomed = collect_expired_locked(Clock::now());
    if (!doomed.empty()) {
      lock.unlock();
      doomed.clear();
      lock.lock();
    }
  }
}

}  // namespace corral::sched
