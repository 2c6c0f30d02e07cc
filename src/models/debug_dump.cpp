#include "models/debug_dump.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "ml/dump.h"

namespace corral {

DumpOptions dump_options_from_env(const EnvConfig& env) {
  DumpOptions o;
  o.dir = env.dump_dir;
  o.filter = env.dump_filter;
  return o;
}

Result<std::unique_ptr<DebugDumper>> DebugDumper::create(const DumpOptions& options) {
  if (options.dir.empty()) return invalid_argument("debug dump: no directory given");
  std::regex filter;
  if (!options.filter.empty()) {
    try {
      filter = std::regex(options.filter, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return invalid_argument("debug dump: bad filter regex '%s': %s", options.filter.c_str(), e.what());
    }
  }
  return std::unique_ptr<DebugDumper>(new DebugDumper(options, std::move(filter)));
}

Result<GraphObserver> DebugDumper::next_step() {
  std::string dir = options_.dir;
  if (options_.per_step) {
    char name[16];
    std::snprintf(name, sizeof(name), "%04d", step_);
    dir += "/";
    dir += name;
  }
  ++step_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("debug dump: cannot create '%s': %s", dir.c_str(), ec.message().c_str());
  const std::string order_path = dir + "/order.txt";
  std::ofstream(order_path, std::ios::trunc).flush();  // start the order list of this pass
  const bool all = options_.filter.empty();
  const std::regex filter = filter_;
  std::shared_ptr<Status> error = error_;
  return GraphObserver([dir, order_path, all, filter, error](const Tensor& t) {
    std::string name = t.name();
    if (t.layer() >= 0) name += "." + std::to_string(t.layer());
    if (!all && !std::regex_search(name, filter) && !std::regex_search(t.name(), filter)) return;
    const Status s = write_npy(dir + "/" + name + ".npy", t);
    std::ofstream order(order_path, std::ios::app);
    order << name << "\n";
    if ((!s.ok() || !order) && error->ok()) {
      *error = s.ok() ? io_error("debug dump: cannot append to '%s'", order_path.c_str()) : s;
    }
  });
}

}  // namespace corral
