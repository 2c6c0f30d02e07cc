#!/usr/bin/env python3
"""Writes tests/golden/convert/: tiny HF model folders (weights saved by transformers, tokenizers
trained by HF `tokenizers` and `sentencepiece`) and expected.json, what an independent reference
conversion gives for each: a GGUF written with the `gguf` package (tensor names from
gguf.get_tensor_name_map, hyper-parameter and tokenizer keys through GGUFWriter's add_* methods,
special tokens through gguf.SpecialVocab, SentencePiece pieces through gguf.SentencePieceVocab),
read back with GGUFReader. expected.json holds every metadata key (value in JSON) and every
tensor (name, shape outermost-first, GGUF type name, sha256 of the raw data).

hf_logits.json holds each fixture's logits from transformers for a fixed token sequence, so the
converted GGUF can be run through corral's own model code and compared with the research model.

It also records quantize.json: the tensor types llama.cpp itself chooses
(llama_cpp.llama_model_quantize from llama-cpp-python) for each quantization mixture, for the
tiny llama (rows of 32/64: block fallbacks) and for a synthetic 8-layer model with rows of 256.

Run with the repo venv (needs torch, transformers, tokenizers, sentencepiece, gguf, llama-cpp-python):
    .venv/bin/python tools/make_convert_goldens.py [OUT_DIR]

With --llamacpp LLAMA_CPP_DIR it (re)writes only the llama.cpp-converter goldens: it adds the
mistral_spm fixture (MistralForCausalLM) and the *_bin fixtures (the same checkpoints saved as
pytorch_model.bin by torch.save) when missing, runs llama.cpp's own convert_hf_to_gguf.py on every
fixture (LLAMA_CPP_DIR is vendor/llama.cpp of the llama-cpp-python source distribution:
`pip download llama-cpp-python==<installed version> --no-deps --no-binary :all:`, then untar) and
writes expected_llamacpp.json (same shape as expected.json) and hf_logits.json for every fixture.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import gguf
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

REPO = Path(__file__).resolve().parent.parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--llamacpp" else REPO / "tests/golden/convert"

LLAMA3_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
             r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
            r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TEXT = """The quick brown fox jumps over the lazy dog. A local model store keeps blobs and manifests.
Conversion reads a checkpoint and writes a file; quantization packs weights into blocks of 32 or 256.
Numbers like 12345 and 2026 appear, as do words: alpha beta gamma delta epsilon zeta eta theta.
Hello, how are you? I'm doing great. How can I help you today? Let's show off how chat templating works!
""" * 20


def jinja_template(name):
    path = Path(os.environ.get("CORRAL_TESTDATA_DIR", REPO.parent / "shared/testdata"))
    for line in open(path / "templates/ollama/testdata/templates.jsonl", encoding="utf-8"):
        d = json.loads(line)
        if name in d:
            return d[name]
    raise KeyError(name)


def train_bpe(regex, specials, vocab_size):
    from tokenizers import Tokenizer, Regex, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(TEXT.splitlines(), trainer)
    return tok


def save_model(model, folder, dtype):
    model = model.to(dtype)
    model.save_pretrained(folder)
    for extra in ("generation_config.json",):
        pass


def make_llama_bpe(folder):
    from tokenizers import processors
    tok = train_bpe(LLAMA3_RE, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"], 280)
    tok.add_tokens(["<extra_word>"])  # a non-special added token
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", 0)])
    n_tok = tok.get_vocab_size()
    torch.manual_seed(1)
    cfg = LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      rms_norm_eps=1e-5, rope_theta=50000.0, bos_token_id=0, eos_token_id=2,
                      tie_word_embeddings=False)
    save_model(LlamaForCausalLM(cfg), folder, torch.float32)
    tok.save(str(folder / "tokenizer.json"))
    # Old-style merges ("a b") in this one; the qwen2 fixture keeps the pair format.
    tj = json.loads((folder / "tokenizer.json").read_text())
    tj["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in tj["model"]["merges"]]
    (folder / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "add_bos_token": True,
        "add_eos_token": False, "chat_template": jinja_template("llama3-instruct")}))
    return n_tok


def make_qwen2_bpe(folder):
    tok = train_bpe(QWEN2_RE, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], 270)
    torch.manual_seed(2)
    cfg = Qwen2Config(vocab_size=288, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                      rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                      bos_token_id=0, eos_token_id=2)
    save_model(Qwen2ForCausalLM(cfg), folder, torch.bfloat16)
    tok.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}))
    (folder / "chat_template.jinja").write_text(jinja_template("chatml"))


def make_llama_spm(folder):
    import sentencepiece as spm
    with tempfile.TemporaryDirectory() as tmp:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(TEXT.splitlines()), model_prefix=f"{tmp}/m", vocab_size=340,
            model_type="bpe", byte_fallback=True, character_coverage=1.0, hard_vocab_limit=False,
            bos_id=1, eos_id=2, unk_id=0, minloglevel=2,
            normalization_rule_name="identity")
        shutil.copy(f"{tmp}/m.model", folder / "tokenizer.model")
    torch.manual_seed(3)
    cfg = LlamaConfig(vocab_size=360, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
                      rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
                      rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    save_model(LlamaForCausalLM(cfg), folder, torch.float16)
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "add_bos_token": True, "add_eos_token": False}))


# ---- reference conversion with the gguf package ----

def permute(w, n_head):
    # HF "rotate half" rows -> GGUF llama interleaved rows, per head.
    shape = w.shape
    return w.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def load_state(folder):
    from safetensors.torch import load_file
    state = {}
    for f in sorted(folder.glob("*.safetensors")):
        state.update(load_file(str(f)))
    return state


def to_numpy(t):
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16), gguf.GGMLQuantizationType.BF16
    if t.dtype == torch.float16:
        return t.numpy(), gguf.GGMLQuantizationType.F16
    return t.float().numpy(), gguf.GGMLQuantizationType.F32


def llama3_rope_freqs(cfg):
    rp = cfg.get("rope_scaling") or cfg["rope_parameters"]
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg.get("rope_theta") or rp.get("rope_theta", 10000.0)
    freqs = 1.0 / (base ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    factor, low, high, old = rp["factor"], rp["low_freq_factor"], rp["high_freq_factor"], rp["original_max_position_embeddings"]
    out = []
    for f in freqs:
        wavelen = 2 * np.pi / f
        if wavelen < old / high:
            out.append(1.0)
        elif wavelen > old / low:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def reference_convert(folder, arch_name, out_path, pre):
    cfg = json.loads((folder / "config.json").read_text())
    arch = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2}[arch_name]
    n_layers = cfg["num_hidden_layers"]
    names = gguf.get_tensor_name_map(arch, n_layers)
    w = gguf.GGUFWriter(str(out_path), arch_name)
    w.add_name(folder.name)
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(n_layers)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    rope_theta = cfg.get("rope_theta") or (cfg.get("rope_parameters") or {}).get("rope_theta")
    w.add_rope_freq_base(rope_theta)
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    if arch_name == "llama":
        w.add_rope_dimension_count(cfg["hidden_size"] // heads)
        w.add_vocab_size(cfg["vocab_size"])
    state = load_state(folder)
    tensors = []
    for hf_name, t in state.items():
        gname = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert gname, hf_name
        data, qtype = to_numpy(t)
        if arch_name == "llama" and hf_name.endswith(("q_proj.weight", "k_proj.weight")):
            data = permute(data, heads if "q_proj" in hf_name else kv)
        if data.ndim == 1 and qtype != gguf.GGMLQuantizationType.F32:
            data, qtype = t.float().numpy(), gguf.GGMLQuantizationType.F32
        tensors.append((gname, data, qtype))
    rp = cfg.get("rope_scaling") or cfg.get("rope_parameters") or {}
    if rp.get("rope_type") == "llama3":
        tensors.append(("rope_freqs.weight", llama3_rope_freqs(cfg), gguf.GGMLQuantizationType.F32))
    first2d = next(q for n, d, q in tensors if d.ndim == 2)
    w.add_file_type({gguf.GGMLQuantizationType.F32: 0, gguf.GGMLQuantizationType.F16: 1,
                     gguf.GGMLQuantizationType.BF16: 32}[first2d])
    for gname, data, qtype in tensors:
        w.add_tensor(gname, np.ascontiguousarray(data), raw_dtype=qtype)
    # Tokenizer.
    n_vocab = cfg["vocab_size"]
    if (folder / "tokenizer.model").exists():
        vocab = gguf.SentencePieceVocab(folder)
        w.add_tokenizer_model("llama")
        w.add_tokenizer_pre("default")
        toks, scores, types = [], [], []
        for text, score, ttype in vocab.all_tokens():
            toks.append(text.decode("utf-8")); scores.append(score); types.append(int(ttype))
        for i in range(len(toks), n_vocab):
            toks.append(f"[PAD{i}]"); scores.append(-1000.0); types.append(int(gguf.TokenType.UNUSED))
        w.add_token_list(toks); w.add_token_scores(scores); w.add_token_types(types)
        special = gguf.SpecialVocab(folder, load_merges=False, n_vocab=n_vocab)
    else:
        vocab = gguf.BpeVocab(folder)
        tj = json.loads((folder / "tokenizer.json").read_text())
        added = {a["id"]: a for a in tj.get("added_tokens", [])}
        reverse = {i: t for t, i in vocab.vocab.items()}
        for a in added.values():
            reverse[a["id"]] = a["content"]
        toks, types = [], []
        for i in range(n_vocab):
            if i in added:  # llama.cpp's rule: special added tokens are control, others user-defined
                toks.append(added[i]["content"])
                types.append(int(gguf.TokenType.CONTROL if added[i]["special"] else gguf.TokenType.USER_DEFINED))
            elif i in reverse:
                toks.append(reverse[i]); types.append(int(gguf.TokenType.NORMAL))
            else:
                toks.append(f"[PAD{i}]"); types.append(int(gguf.TokenType.UNUSED))
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre(pre)
        w.add_token_list(toks); w.add_token_types(types)
        special = gguf.SpecialVocab(folder, load_merges=True, n_vocab=n_vocab)
    special.add_to_gguf(w, quiet=True)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def describe_gguf(path):
    r = gguf.GGUFReader(str(path))
    meta = {}
    for f in r.fields.values():
        if f.name.startswith("GGUF.") or f.name == "general.alignment":
            continue
        v = f.contents()
        if isinstance(v, float):
            v = float(np.float32(v))
        if isinstance(v, list) and v and isinstance(v[0], float):
            v = [float(np.float32(x)) for x in v]
        meta[f.name] = v
    tensors = []
    for t in r.tensors:
        raw = bytes(np.asarray(t.data).tobytes())
        tensors.append({"name": t.name, "shape": [int(x) for x in reversed(t.shape)],
                        "type": t.tensor_type.name, "sha256": hashlib.sha256(raw).hexdigest()})
    tensors.sort(key=lambda x: x["name"])
    return {"metadata": meta, "tensors": tensors}


def quantize_types(src, tmp, ftypes):
    import llama_cpp
    out = {}
    for name, ftype in ftypes.items():
        dst = Path(tmp) / f"q_{name}.gguf"
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = ftype
        params.nthread = 2
        rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params)
        assert rc == 0, (name, rc)
        r = gguf.GGUFReader(str(dst))
        out[name] = {t.name: {"shape": [int(x) for x in reversed(t.shape)], "type": t.tensor_type.name}
                     for t in r.tensors}
    return out


def hf_logits(folder):
    """Logits of the HF model (float32 compute) for a fixed token sequence."""
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    tokens = [1, 17, 42, 5, 99, 3, 64, 250]
    with torch.no_grad():
        logits = model(torch.tensor([tokens])).logits[0]
    return {"tokens": tokens, "logits": [[round(float(x), 6) for x in row] for row in logits]}


def write_hf_logits(names):
    out = {name: hf_logits(OUT / name) for name in names}
    (OUT / "hf_logits.json").write_text(json.dumps(out) + "\n")


def make_wide_llama(folder, tokenizer_from):
    torch.manual_seed(4)
    cfg = LlamaConfig(vocab_size=320, hidden_size=256, intermediate_size=512, num_hidden_layers=8,
                      num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=128,
                      tie_word_embeddings=False)
    save_model(LlamaForCausalLM(cfg), folder, torch.float32)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_from / f, folder / f)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    fixtures = {"llama_bpe": ("llama", "llama-bpe", make_llama_bpe),
                "qwen2_bpe": ("qwen2", "qwen2", make_qwen2_bpe),
                "llama_spm": ("llama", "default", make_llama_spm)}
    expected = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (arch, pre, make) in fixtures.items():
            folder = OUT / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            ref = Path(tmp) / f"{name}.gguf"
            reference_convert(folder, arch, ref, pre)
            expected[name] = describe_gguf(ref)
            if name == "llama_bpe":
                tiny_ref = ref
        (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
        write_hf_logits(fixtures)

        import llama_cpp
        ftypes = {"Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0, "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0,
                  "Q4_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_1, "Q5_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_0,
                  "Q5_1": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_1, "Q4_K_S": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_S,
                  "Q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M, "Q5_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q5_K_M,
                  "Q6_K": llama_cpp.LLAMA_FTYPE_MOSTLY_Q6_K}
        wide = Path(tmp) / "wide_llama"
        wide.mkdir()
        make_wide_llama(wide, OUT / "llama_bpe")
        wide_ref = Path(tmp) / "wide.gguf"
        reference_convert(wide, "llama", wide_ref, "llama-bpe")
        quant = {"tiny": {"n_layers": 2, "has_output": True, "types": quantize_types(tiny_ref, tmp, ftypes)},
                 "wide": {"n_layers": 8, "has_output": True, "types": quantize_types(wide_ref, tmp, ftypes)}}
        (OUT / "quantize.json").write_text(json.dumps(quant, indent=1) + "\n")


# ---- llama.cpp's converter (convert_hf_to_gguf.py) as the reference ----

# Fixture -> (tokenizer.ggml.pre, --outtype: the source's float type, which corral follows). llama.cpp names a BPE pre-tokenizer by hashing the token ids of
# a probe text; a tokenizer trained on the tiny corpus here cannot hash like the real one, so the
# run below answers that one question with the pre-tokenizer the fixture was trained with (the
# same regex as llama-bpe / qwen2). Everything else is llama.cpp's converter unchanged.
LLAMACPP_PRE = {"llama_bpe": ("llama-bpe", "f32"), "qwen2_bpe": ("qwen2", "bf16"), "llama_spm": (None, "f16"),
                "mistral_spm": (None, "f16"), "llama_bpe_bin": ("llama-bpe", "f32"),
                "qwen2_bpe_bin": ("qwen2", "bf16"), "mistral_spm_bin": (None, "f16")}

RUNNER = r"""
import runpy, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/gguf-py"]
pre = sys.argv[2]
import conversion.base as base
if pre != "-":
    base.TextModel.get_vocab_base_pre = lambda self, tokenizer: pre
sys.argv = [sys.argv[1] + "/convert_hf_to_gguf.py"] + sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def make_mistral_spm(folder):
    from transformers import MistralConfig, MistralForCausalLM
    shutil.copy(OUT / "llama_spm" / "tokenizer.model", folder / "tokenizer.model")
    torch.manual_seed(5)
    cfg = MistralConfig(vocab_size=352, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=256,
                        rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=None, bos_token_id=1,
                        eos_token_id=2, tie_word_embeddings=False)
    save_model(MistralForCausalLM(cfg), folder, torch.float16)
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "add_bos_token": True, "add_eos_token": False,
        "chat_template": jinja_template("mistral-instruct")}))


def make_bin_copy(src, folder):
    """The same checkpoint as pytorch_model.bin (torch.save of the state dict, what
    save_pretrained(safe_serialization=False) writes); tokenizer and config files copied."""
    from safetensors.torch import load_file
    state = {}
    for f in sorted(src.glob("*.safetensors")):
        state.update(load_file(str(f)))
    torch.save(state, folder / "pytorch_model.bin")
    for f in src.iterdir():
        if f.suffix != ".safetensors":
            shutil.copy(f, folder / f.name)


def llamacpp_convert(llama_dir, folder, out_path, pre, outtype):
    import subprocess
    cmd = [sys.executable, "-c", RUNNER, str(llama_dir), pre or "-", str(folder), "--outfile", str(out_path),
           "--outtype", outtype]
    subprocess.run(cmd, check=True, capture_output=True)


def main_llamacpp(llama_dir):
    for name, make in (("mistral_spm", make_mistral_spm),):
        if not (OUT / name).exists():
            (OUT / name).mkdir()
            make(OUT / name)
    for base_name in ("llama_bpe", "qwen2_bpe", "mistral_spm"):
        folder = OUT / (base_name + "_bin")
        if not folder.exists():
            folder.mkdir()
            make_bin_copy(OUT / base_name, folder)
    expected = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (pre, outtype) in LLAMACPP_PRE.items():
            ref = Path(tmp) / f"{name}.gguf"
            llamacpp_convert(llama_dir, OUT / name, ref, pre, outtype)
            expected[name] = describe_gguf(ref)
    (OUT / "expected_llamacpp.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    write_hf_logits(LLAMACPP_PRE)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--llamacpp":
        main_llamacpp(Path(sys.argv[2]))
    else:
        main()
