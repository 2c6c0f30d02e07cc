// corral serve: the HTTP API on CORRAL_HOST until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>

#include "cli/commands.h"
#include "server/server.h"
#include "store/store.h"

namespace corral::cli {

Command add_serve_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("serve", "Start the corral server (Ollama and OpenAI HTTP APIs) on CORRAL_HOST");
  return {sub, [](Runtime& runtime) -> int {
            Result<server::HostPort> where = server::parse_host(runtime.env().host);
            if (!where.ok()) {
              std::fprintf(stderr, "Error: %s\n", where.status().message().c_str());
              return 1;
            }
            Result<store::Store> st = store::Store::open(runtime.env());
            if (!st.ok()) {
              std::fprintf(stderr, "Error: %s\n", st.status().to_string().c_str());
              return 1;
            }
            // Signals go to one waiting thread (blocked everywhere else, inherited by the
            // server's threads) which stops the server cleanly.
            sigset_t signals;
            sigemptyset(&signals);
            sigaddset(&signals, SIGINT);
            sigaddset(&signals, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &signals, nullptr);
            server::ApiServer api(runtime, std::move(st).value());
            std::thread waiter([&] {
              int sig = 0;
              sigwait(&signals, &sig);
              api.stop();
            });
            Status s = api.listen(*where);
            pthread_kill(waiter.native_handle(), SIGTERM);
            waiter.join();
            if (!s.ok()) {
              std::fprintf(stderr, "Error: %s\n", s.message().c_str());
              return 1;
            }
            return 0;
          }};
}

}  // namespace corral::cli
