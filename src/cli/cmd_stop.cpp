// corral stop MODEL: asks the running server to unload a model now (keep_alive 0).
#include <cstdio>
#include <string>

#include "cli/client.h"
#include "cli/commands.h"

namespace corral::cli {

Command add_stop_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("stop", "Unload a running model");
  auto model = std::make_shared<std::string>();
  sub->add_option("MODEL", *model, "model name")->required();
  return {sub, [model](Runtime& runtime) -> int {
            Result<ApiClient> client = ApiClient::from_env(runtime.env());
            Result<nlohmann::json> reply =
                client.ok() ? client->post("/api/generate", {{"model", *model}, {"keep_alive", 0}, {"stream", false}})
                            : Result<nlohmann::json>(client.status());
            if (!reply.ok()) {
              if (reply.status().code() == StatusCode::kNotFound) {
                std::fprintf(stderr, "Error: couldn't find model \"%s\" to stop\n", model->c_str());
              } else {
                std::fprintf(stderr, "Error: %s\n", reply.status().message().c_str());
              }
              return 1;
            }
            return 0;
          }};
}

}  // namespace corral::cli
