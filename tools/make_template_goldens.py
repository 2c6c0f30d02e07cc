#!/usr/bin/env python3
"""Generates the chat-template goldens and the known-Jinja table of src/template/.

For every built-in Go template family of corral, renders the family's real Jinja chat template
(from ../shared/testdata/templates/ollama/index.json, or tools/chat_templates/*.jinja for
families Ollama's index lacks) with the `jinja2` package in the environment Hugging Face uses for
apply_chat_template (trim_blocks, lstrip_blocks, loopcontrols, a json.dumps-based tojson,
raise_exception), with add_generation_prompt=True, for a few conversations. A leading BOS token
is removed (corral's tokenizer adds BOS). Conversations a template rejects (raise_exception) are
left out. Output: tests/golden/templates/<family>.json.

It also writes src/template/known_jinja.inc: the Jinja texts that detection recognises, mapped
to built-in names (Ollama's index.json table plus the families added here).

Usage: .venv/bin/python tools/make_template_goldens.py
"""
import json
import os
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.environ.get("CORRAL_TESTDATA_DIR", os.path.join(REPO, "..", "shared", "testdata"))
INDEX = os.path.join(TESTDATA, "templates", "ollama", "index.json")
OUT_DIR = os.path.join(REPO, "tests", "golden", "templates")
INC = os.path.join(REPO, "src", "template", "known_jinja.inc")

# family -> (jinja source, bos_token, eos_token, has tools)
# source "index:N" is entry N of Ollama's index.json, "file:X" is tools/chat_templates/X.
FAMILIES = {
    "chatml": ("index:6", "", "<|im_end|>", False),
    "zephyr": ("index:2", "<s>", "</s>", False),
    "openchat": ("index:4", "<s>", "<|end_of_turn|>", False),
    "mistral-instruct": ("index:10", "<s>", "</s>", False),
    "starcoder2-instruct": ("index:11", "", "<|endoftext|>", False),
    "llama2-chat": ("index:12", "<s>", "</s>", False),
    "codellama-70b-instruct": ("index:13", "<s>", "</s>", False),
    "alpaca": ("index:19", "<｜begin▁of▁sentence｜>", "<|EOT|>", False),
    "chatqa": ("index:20", "<|begin_of_text|>", "<|end_of_text|>", False),
    "gemma-instruct": ("index:21", "<bos>", "<eos>", False),
    "gemma3-instruct": ("index:22", "<bos>", "<eos>", False),
    "llama3-instruct": ("index:23", "<|begin_of_text|>", "<|eot_id|>", False),
    "llama3.1": ("index:24", "<|begin_of_text|>", "<|eot_id|>", True),
    "granite-instruct": ("index:25", "", "<|endoftext|>", False),
    "magicoder": ("index:26", "<｜begin▁of▁sentence｜>", "<|EOT|>", False),
    "alfred": ("index:27", "", "<|endoftext|>", False),
    "phi-3": ("index:31", "<s>", "<|endoftext|>", False),
    "falcon-instruct": ("index:33", "", "<|endoftext|>", False),
    "solar-instruct": ("index:35", "<s>", "</s>", False),
    "command-r": ("index:36", "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>", False),
    "vicuna": ("file:vicuna.jinja", "<s>", "</s>", False),
    "qwen2.5": ("file:qwen2.5.jinja", "", "<|im_end|>", True),
    "smollm2": ("file:smollm2.jinja", "", "<|im_end|>", False),  # its tokenizer adds no BOS
    "deepseek-r1": ("file:deepseek-r1.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", False),
}

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
USER1 = {"role": "user", "content": "Hello, how are you?"}
ASSISTANT1 = {"role": "assistant", "content": "I'm doing great. How can I help you today?"}
USER2 = {"role": "user", "content": "I'd like to show off how chat templating works!"}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city, e.g. Paris"},
                "unit": {"type": "string", "description": "Temperature unit", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}

CONVERSATIONS = {
    "system-user": ([SYSTEM, USER1], None),
    "user": ([USER1], None),
    "user-assistant-user": ([USER1, ASSISTANT1, USER2], None),
    "system-user-assistant-user": ([SYSTEM, USER1, ASSISTANT1, USER2], None),
}

TOOL_CONVERSATION = (
    [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"type": "function", "function": {"name": "get_current_weather",
                                                  "arguments": {"location": "Paris", "unit": "celsius"}}}
            ],
        },
        {"role": "tool", "content": "22 degrees and sunny"},
    ],
    [WEATHER_TOOL],
)
TOOL_FIRST_TURN = ([{"role": "user", "content": "What is the weather in Paris?"}], [WEATHER_TOOL])


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def load_source(spec, index):
    kind, arg = spec.split(":", 1)
    if kind == "index":
        return index[int(arg)]["template"]
    with open(os.path.join(REPO, "tools", "chat_templates", arg), encoding="utf-8") as f:
        return f.read()


def render(env, source, bos, eos, messages, tools):
    tmpl = env.from_string(source)
    kwargs = {"messages": messages, "add_generation_prompt": True, "bos_token": bos, "eos_token": eos}
    if tools is not None:
        kwargs["tools"] = tools
    out = tmpl.render(**kwargs)
    if bos and out.startswith(bos):
        out = out[len(bos):]
    return out


def cpp_raw(s):
    delim = "cj"
    while ")" + delim + '"' in s:
        delim += "x"
    return 'R"' + delim + "(" + s + ")" + delim + '"'


def main():
    with open(INDEX, encoding="utf-8") as f:
        index = json.load(f)
    env = make_env()
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, (spec, bos, eos, has_tools) in FAMILIES.items():
        source = load_source(spec, index)
        convs = dict(CONVERSATIONS)
        if has_tools:
            convs["tools-first-turn"] = TOOL_FIRST_TURN
            convs["tools"] = TOOL_CONVERSATION
        cases = []
        for case, (messages, tools) in convs.items():
            try:
                expected = render(env, source, bos, eos, messages, tools)
            except jinja2.exceptions.TemplateError as e:
                print(f"{name}/{case}: template rejects it ({e}); left out")
                continue
            entry = {"case": case, "messages": messages, "expected": expected}
            if tools is not None:
                entry["tools"] = tools
            cases.append(entry)
        doc = {"family": name, "jinja_source": spec, "bos_token": bos, "eos_token": eos, "jinja": source,
               "cases": cases}
        with open(os.path.join(OUT_DIR, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
    # Detection table: Ollama's index (name mapped to our built-in names) plus our own sources.
    rename = {}  # Ollama's names are the built-in names, except the Llama 3.1 text (tools).
    rows = []
    for i, e in enumerate(index):
        target = "llama3.1" if i == 24 else rename.get(e["name"], e["name"])
        rows.append((target, e["template"]))
    for name, (spec, _, _, _) in FAMILIES.items():
        if spec.startswith("file:"):
            rows.append((name, load_source(spec, index)))
    with open(INC, "w", encoding="utf-8") as f:
        f.write("// Generated by tools/make_template_goldens.py from Ollama's template index (reference data\n")
        f.write("// describing real models' chat templates) and tools/chat_templates/. Do not edit.\n")
        for target, text in rows:
            f.write("{" + json.dumps(target) + ",\n " + cpp_raw(text) + "},\n")
    print(f"wrote {len(FAMILIES)} golden files and {len(rows)} known Jinja templates")


if __name__ == "__main__":
    sys.exit(main())
