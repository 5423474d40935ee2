#!/usr/bin/env python3
"""Parses a generated vllm.argv.json with an argparse parser built from the flag catalog.

Usage: parse_argv.py CATALOG.json ARGV.json
Prints a JSON object: for every argument given on the command line, its destination and value as
argparse produced them. Exit 2 (argparse's own) when the argv does not parse.

The parser mirrors how vLLM 0.10.2 declares each kind of flag (see schema/vllm/PROVENANCE.md):
BooleanOptionalAction pairs, store_true, typed single values, nargs lists, JSON dict arguments.
allow_abbrev is off so an argv relying on prefixes would fail here.
"""
import argparse
import json
import sys


def main() -> None:
    catalog = json.load(open(sys.argv[1], encoding="utf-8"))
    argv = json.load(open(sys.argv[2], encoding="utf-8"))
    if argv[1:3] != ["-m", "vllm.entrypoints.openai.api_server"]:
        sys.exit("argv must start with PYTHON -m vllm.entrypoints.openai.api_server")
    parser = argparse.ArgumentParser(prog="api_server", allow_abbrev=False, add_help=False)
    def json_or_string(v: str):
        return json.loads(v) if v.strip().startswith("{") else v

    types = {"int": int, "float": float, "string": str, "json": json.loads, "json_or_string": json_or_string}
    for f in catalog["flags"]:
        names = [f["flag"], *f.get("aliases", [])]
        kw = {"dest": f["dest"], "default": argparse.SUPPRESS}
        kind = f["kind"]
        if kind == "bool_pair":
            kw["action"] = argparse.BooleanOptionalAction
        elif kind == "store_true":
            kw["action"] = "store_true"
        elif kind == "append":
            kw["action"] = "append"
            kw["type"] = str
        elif kind == "list":
            kw["nargs"] = f.get("nargs") or "+"
            kw["type"] = int if f.get("item_kind") == "int" else str
        else:
            kw["type"] = types.get(kind, str)
        if f.get("choices") and kind not in ("bool_pair", "store_true"):
            kw["choices"] = f["choices"]
        parser.add_argument(*names, **kw)
    ns = parser.parse_args(argv[3:])
    print(json.dumps(vars(ns), sort_keys=True))


if __name__ == "__main__":
    main()
