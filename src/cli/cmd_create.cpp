// corral create NAME -f Modelfile [--quantize TYPE]: parses the Modelfile (relative FROM paths
// resolve against its folder) and builds the model with store::create_model (store/create.h),
// printing its progress lines to stderr.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#include "convert/quant_types.h"
#include "store/create.h"
#include "store/modelfile.h"

namespace corral::cli {
namespace {

namespace fs = std::filesystem;

struct CreateOptions {
  std::string name;
  std::string modelfile = "Modelfile";
  std::string quantize;
  int threads = 0;
};

Status run_create(Runtime& runtime, const CreateOptions& opt) {
  CORRAL_ASSIGN_OR_RETURN(store::Store st, open_store(runtime));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName name, st.parse_name(opt.name));
  std::optional<convert::QuantType> quant;
  if (!opt.quantize.empty()) {
    CORRAL_ASSIGN_OR_RETURN(quant, convert::parse_quant_type(opt.quantize));
  }
  store::ModelfileOptions mopts;
  mopts.base_dir = fs::path(opt.modelfile).parent_path().string();
  if (mopts.base_dir.empty()) mopts.base_dir = ".";
  mopts.defaults = st.defaults();
  CORRAL_ASSIGN_OR_RETURN(store::Modelfile mf, store::parse_modelfile_file(opt.modelfile, mopts));
  if (mf.from.kind == store::FromKind::kPath && !fs::path(mf.from.value).is_absolute() && mf.from.value.rfind("~", 0) != 0) {
    mf.from.value = (fs::path(mopts.base_dir) / mf.from.value).lexically_normal().string();
  }
  store::CreateOptions copts;
  copts.quantize = quant;
  copts.threads = opt.threads > 0 ? opt.threads : runtime.env().num_threads;
  auto progress = [](std::string_view status) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(status.size()), status.data());
  };
  CORRAL_ASSIGN_OR_RETURN(store::Manifest manifest, store::create_model(st, name, mf, copts, progress));
  (void)manifest;
  return ok_status();
}

}  // namespace

Command add_create_command(CLI::App& app) {
  auto opt = std::make_shared<CreateOptions>();
  CLI::App* sub = app.add_subcommand("create", "Create a model from a Modelfile");
  sub->add_option("name", opt->name, "Model name")->required();
  sub->add_option("-f,--file", opt->modelfile, "Modelfile (default: ./Modelfile)");
  sub->add_option("-q,--quantize", opt->quantize, "Quantize: q8_0, q4_0, q4_1, q5_0, q5_1, q4_K_S, q4_K_M, q5_K_M, q6_K");
  sub->add_option("-t,--threads", opt->threads, "Threads for conversion (0 = all)");
  return {sub, [opt](Runtime& runtime) -> int {
    Status s = run_create(runtime, *opt);
    return s.ok() ? 0 : print_error(s);
  }};
}

}  // namespace corral::cli
