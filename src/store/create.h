// create_model: builds a model in the store from a parsed Modelfile, as `corral create` and
// POST /api/create both do. FROM is a store name (its layers are inherited), a GGUF file, an HF
// model folder (converted) or a blob digest; layers: model, template (TEMPLATE, else detected
// from the checkpoint's chat template), system, params, license, messages; then the config blob;
// the manifest is written last, atomically, and every blob a failed create added is removed.
// Depends on util, formats (GGUF), convert (HF conversion, quantization) and template (detection).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "convert/quant_types.h"
#include "store/manifest.h"
#include "store/modelfile.h"
#include "store/store.h"
#include "util/status.h"

namespace corral::store {

struct CreateOptions {
  std::optional<convert::QuantType> quantize;  // re-encode F32/F16/BF16 weights
  int threads = 0;                             // 0 = hardware threads
};

// Progress lines as Ollama streams them ("gathering model components", "converting model",
// "quantizing F16 model to Q4_K_M", "using existing layer sha256:...", "writing manifest",
// "success"); warnings come through here too, prefixed "warning: ".
using CreateProgressFn = std::function<void(std::string_view status)>;

// A relative FROM path must already be resolved by the caller (parse_modelfile's base_dir).
// not_found for a missing base model, file or blob; unsupported for ADAPTER.
Result<Manifest> create_model(Store& store, const ModelName& name, const Modelfile& modelfile,
                              const CreateOptions& options, const CreateProgressFn& progress = {});

}  // namespace corral::store
