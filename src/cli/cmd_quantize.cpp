// corral quantize IN OUT TYPE: quantizes a GGUF (F32/F16/BF16 weights) or converts and
// quantizes an HF model folder, with llama.cpp's per-tensor mixtures.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#include "convert/convert.h"
#include "util/file.h"

namespace corral::cli {

struct QuantizeOptions {
  std::string in, out, type;
  int threads = 0;
};

Command add_quantize_command(CLI::App& app) {
  auto opt = std::make_shared<QuantizeOptions>();
  CLI::App* sub = app.add_subcommand("quantize", "Quantize a GGUF or an HF model folder into a GGUF");
  sub->add_option("input", opt->in, "GGUF file or HF model folder")->required();
  sub->add_option("output", opt->out, "Output GGUF")->required();
  sub->add_option("type", opt->type, "q8_0, q4_0, q4_1, q5_0, q5_1, q4_K_S, q4_K_M, q5_K_M, q6_K, f16, bf16, f32")
      ->required();
  sub->add_option("-t,--threads", opt->threads, "Threads (0 = all)");
  return {sub, [opt](Runtime& runtime) -> int {
    auto type = convert::parse_quant_type(opt->type);
    if (!type.ok()) return print_error(type.status());
    const int threads = opt->threads > 0 ? opt->threads : runtime.env().num_threads;
    const auto t0 = std::chrono::steady_clock::now();
    if (is_directory(opt->in)) {
      convert::ConvertOptions c;
      c.type = *type;
      c.threads = threads;
      auto r = convert::convert_hf_directory(opt->in, opt->out, c);
      if (!r.ok()) return print_error(r.status());
      for (const auto& w : r->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    } else {
      Status s = convert::quantize_gguf(opt->in, opt->out, *type, threads);
      if (!s.ok()) return print_error(s);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s (%s) in %.1f s\n", opt->out.c_str(), std::string(convert::quant_type_name(*type)).c_str(), secs);
    return 0;
  }};
}

}  // namespace corral::cli
