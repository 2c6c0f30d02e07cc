#include "models/loader.h"

#include "models/weight_loader.h"

namespace corral {
namespace {

std::string known_architectures(const ModelRegistry& registry) {
  std::string s;
  for (const std::string& a : registry.architectures()) s += (s.empty() ? "" : ", ") + a;
  return s;
}

}  // namespace

Result<std::unique_ptr<Model>> load_model(const GgufFile& file, const ModelRegistry& registry) {
  const std::string arch = file.architecture();
  const ModelFactory factory = registry.find(arch);
  if (factory == nullptr) {
    return unsupported("model architecture '%s' is not supported (known: %s)", arch.c_str(),
                       known_architectures(registry).c_str());
  }
  CORRAL_ASSIGN_OR_RETURN(const ModelConfig config, parse_model_config(file));
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, factory(file, config));
  auto arena = std::make_unique<Context>();
  WeightLoader loader(file, *arena);
  model->visit(nn::WeightScope(loader));
  CORRAL_TRY(loader.finish());
  model->attach_weights(std::move(arena));
  return model;
}

Result<std::unique_ptr<Model>> open_model(const std::string& path, const ModelRegistry& registry) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile opened, GgufFile::open(path));
  auto file = std::make_shared<GgufFile>(std::move(opened));
  auto model = load_model(*file, registry);
  if (!model.ok()) return model.status().with_context(path);
  std::unique_ptr<Model> m = std::move(model).value();
  m->keep_alive(std::shared_ptr<const void>(file, file.get()));
  return m;
}

}  // namespace corral
