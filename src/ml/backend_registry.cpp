#include "ml/backend_registry.h"

namespace corral {

Status BackendRegistry::add(std::string name, BackendFactory factory) {
  for (const Entry& e : entries_) {
    if (e.name == name) return already_exists("backend '%s' is already registered", name.c_str());
  }
  entries_.push_back({std::move(name), std::move(factory)});
  return ok_status();
}

Result<std::unique_ptr<Backend>> BackendRegistry::create(std::string_view name, const BackendOptions& options) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return e.factory(options);
  }
  std::string known;
  for (const Entry& e : entries_) known += (known.empty() ? "" : ", ") + e.name;
  return not_found("no backend named '%.*s' (registered: %s)", static_cast<int>(name.size()), name.data(),
                   known.empty() ? "none" : known.c_str());
}

std::vector<std::string> BackendRegistry::names() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.name);
  return out;
}

}  // namespace corral
