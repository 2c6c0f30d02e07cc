#!/usr/bin/env python3
"""Writes grammar_goldens.json for grammar_test.cpp: for each JSON schema, candidate documents
with their validity decided by the `jsonschema` package (the independent validator), and
whether each is in the canonical form the matcher generates (json.dumps with the schema's
property order, optional whitespace). The C++ test requires: canonical documents are accepted
exactly when jsonschema says they are valid; any document the matcher accepts is valid.

Run: .venv/bin/python tests/unit/sample/make_grammar_goldens.py"""
import json
import os
import random

import jsonschema

SCHEMAS = [
    {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
     "required": ["name", "age"], "additionalProperties": False},
    {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "boolean"}, "c": {"type": "null"}},
     "required": ["b"]},
    {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
    {"enum": ["red", "green", 10, 1, None, True]},
    {"const": {"k": [1, 2]}},
    {"type": ["string", "null"]},
    {"type": "object", "properties": {"inner": {"type": "object", "properties": {"x": {"type": "array",
     "items": {"type": "object", "properties": {"y": {"enum": ["p", "q"]}}, "required": ["y"]}}},
     "required": ["x"]}}, "required": ["inner"]},
    {"type": "object", "additionalProperties": {"type": "integer"}},
    {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "array", "items": {"type": "boolean"}}]},
    {"$defs": {"pt": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                      "required": ["x", "y"]}},
     "type": "object", "properties": {"p": {"$ref": "#/$defs/pt"}, "q": {"$ref": "#/$defs/pt"}}, "required": ["p"]},
    {"type": "integer"},
    {"type": "number"},
    {"type": "string"},
]

STRINGS = ["", "a", "héllo", "tab\there", "quote\"in", "back\\slash", "line\nbreak", "\u00e9\u4e2d\U0001F600", "red",
           "green", "p", "q"]
NUMBERS = [0, 1, -1, 10, 123456, -0.5, 3.25, 1e10, 2.5e-3, 1.0]


def values(depth=0):
    out = [None, True, False] + NUMBERS + STRINGS
    if depth < 2:
        out += [[], [1], [1, 2, 3], [1, 2, 3, 4], [True, False], ["x"], [{"y": "p"}], [{"y": "z"}]]
        out += [{}, {"x": []}, {"x": [{"y": "q"}]}, {"k": [1, 2]}, {"a": 1}, {"x": 1, "y": 2}]
    return out


def objects_for(schema, rnd):
    """Documents near the schema: right and wrong types per property, missing and extra keys."""
    props = schema.get("properties", {})
    docs = []
    for _ in range(40):
        d = {}
        for k in props:
            if rnd.random() < 0.85:
                d[k] = rnd.choice(values(1))
        if rnd.random() < 0.1:
            d["extra"] = 1
        docs.append(d)
    return docs


def has_integral_float(v):
    if isinstance(v, float):
        return v.is_integer()
    if isinstance(v, list):
        return any(has_integral_float(x) for x in v)
    if isinstance(v, dict):
        return any(has_integral_float(x) for x in v.values())
    return False


def has_extra_keys(v, schema):
    if not isinstance(v, dict) or "properties" not in schema:
        return False
    return any(k not in schema["properties"] for k in v)


def main():
    rnd = random.Random(1234)
    cases = []
    for schema in SCHEMAS:
        cands = list(values())
        if "properties" in schema:
            cands += objects_for(schema, rnd)
            # Plausible good ones.
            good = {}
            for k, sub in schema["properties"].items():
                good[k] = {"string": "s", "integer": 7, "number": 1.5, "boolean": True, "null": None}.get(sub.get("type"), None)
            cands.append(good)
        if schema.get("type") == "object" and "additionalProperties" in schema and "properties" not in schema:
            cands += [{"a": 1, "b": 2}, {"a": "x"}, {"a": 1.5}]
        if "$defs" in schema:
            cands += [{"p": {"x": 1, "y": 2}}, {"p": {"x": 1, "y": 2}, "q": {"x": 0.5, "y": -3}}, {"p": {"x": 1}},
                      {"q": {"x": 1, "y": 2}}]
        if "inner" in schema.get("properties", {}):
            cands += [{"inner": {"x": [{"y": "p"}, {"y": "q"}]}}, {"inner": {"x": [{"y": "r"}]}}, {"inner": {}}]
        docs = []
        seen = set()
        # The engine parses requests with sorted object keys, so it generates properties in key order.
        order = sorted(schema.get("properties", {}).keys())
        for v in cands:
            if isinstance(v, dict) and order:
                # canonical order: the schema's; unknown keys after.
                v = {k: v[k] for k in order if k in v} | {k: x for k, x in v.items() if k not in order}
            for text, canonical in ((json.dumps(v), True), (json.dumps(v, indent=2), True),
                                    (json.dumps(v, ensure_ascii=False), True),
                                    (json.dumps(v, separators=(",", ":")), True)):
                if text in seen:
                    continue
                seen.add(text)
                valid = jsonschema.Draft202012Validator(schema).is_valid(v)
                # Forms the matcher does not generate (but jsonschema accepts): integral floats
                # for integers/enums, keys beyond "properties", and spaced-out enum/const values
                # (those are matched as the compact serialization).
                if has_integral_float(v) or has_extra_keys(v, schema):
                    canonical = False
                if ("enum" in schema or "const" in schema) and text != json.dumps(v, separators=(",", ":")):
                    canonical = False
                docs.append({"text": text, "valid": valid, "canonical": canonical})
        # Malformed texts: never accepted.
        for bad in ["{", "[1,]", "{\"name\": \"x\",}", "01", "1.", "-", "tru", "\"unterminated", "nul", "{}{}",
                    "\"bad \\x escape\"", "[1 2]", "\"ctrl \x01\"", "1e", "\"\\u12G4\""]:
            docs.append({"text": bad, "valid": False, "canonical": True})
        cases.append({"schema": schema, "docs": docs})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grammar_goldens.json")
    with open(out, "w") as f:
        json.dump({"generator": "make_grammar_goldens.py (jsonschema Draft 2020-12)", "cases": cases}, f, indent=0,
                  ensure_ascii=False)
    print(out, sum(len(c["docs"]) for c in cases), "documents")


if __name__ == "__main__":
    main()
