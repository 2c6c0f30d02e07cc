#include "models/registry.h"

#include "util/check.h"

namespace corral {

Status ModelRegistry::add(std::string architecture, ModelFactory factory) {
  if (find(architecture) != nullptr) return already_exists("architecture '%s' registered twice", architecture.c_str());
  entries_.emplace_back(std::move(architecture), factory);
  return ok_status();
}

ModelFactory ModelRegistry::find(std::string_view architecture) const {
  for (const auto& [name, factory] : entries_) {
    if (name == architecture) return factory;
  }
  return nullptr;
}

std::vector<std::string> ModelRegistry::architectures() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

const ModelRegistry& builtin_models() {
  static const ModelRegistry registry = [] {
    ModelRegistry r;
    const Status s = register_all_models(r);
    CORRAL_CHECK(s.ok(), "register_all_models: %s", s.to_string().c_str());
    return r;
  }();
  return registry;
}

}  // namespace corral
