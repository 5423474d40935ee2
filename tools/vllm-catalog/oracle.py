#!/usr/bin/env python3
"""Record vLLM's own verdicts on a corpus of command lines (schema/vllm/<version>.oracle.json).

Usage:
    python3 tools/vllm-catalog/oracle.py /path/to/vllm-checkout schema/vllm/0.10.2.json \
        --out schema/vllm/0.10.2.oracle.json

What it does:
  1. builds a corpus of argument vectors from the catalog (every flag: a battery of values
     chosen by the flag's argparse `type=` function, nargs, choices and action, in the
     forms `--flag value`, `--flag=value`, `--flag_with_underscores value`, aliases, the
     flag with no value) plus hand-picked cases (FlexibleArgumentParser's `-O` and dotted
     `--flag.key value` rewrites, abbreviations, repeated flags, `--config` YAML files,
     negative numbers, `--`, positionals);
  2. in a child process, builds vLLM's *real* parser from the given tree exactly as
     `python -m vllm.entrypoints.openai.api_server` does (vllm/entrypoints/openai/
     api_server.py: `FlexibleArgumentParser(...)`, `make_arg_parser(parser)`,
     `parser.parse_args()`), with the import stubs of crosscheck.py for the packages that
     are not installed, and runs `parse_args` on every case;
  3. writes the verdicts (accepted with the parsed values, or refused with argparse's
     message / the exception) with provenance, deterministic and sorted.

Needs: Python >= 3.10 with pydantic 2, `regex` and PyYAML importable (the config
dataclasses are pydantic dataclasses, `regex` is vLLM's `re`, `--config` reads YAML).
argparse is part of Python, and its behaviour differs between Python versions: the
interpreter's version is recorded; run with the Python the deployment uses.

Exit status: 0 when written; 1 when the parser cannot be built, or when the real parser's
flags, `type=` functions, nargs or choices disagree with the catalog (listed on stderr;
the file is still written with the disagreements recorded).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ beside the imported crosscheck/extract
import crosscheck  # noqa: E402  (stub sources shared with the cross-check)
from extract import PINNED_COMMIT, REPOSITORY, git_blob_id  # noqa: E402

BASE = ["--model", "m"]  # every case starts with it unless the case is about the model

# ----------------------------------------------------------------------------------
# Value batteries, by the argparse `type=` function (innermost) of a flag.

INT_VALUES = [
    "8192", "0", "1", "-1", "007", "+7", " 5", "5 ", "1_000", "1__000", "_1", "0x10",
    "0o17", "1e3", "2.5", "-1.5", "", " ", "abc", "None", "\u0663", "\u0661\u0662",
    "\uff15", "99999999999999999999", "\t5", "\u00a05",
]
FLOAT_VALUES = [
    "0.9", "1", "0", "-0", "1e-1", "1E3", ".5", "5.", "nan", "NaN", "inf", "-inf",
    "Infinity", "1_0.5", "1__0", "0x1p-2", "1,5", "", " 0.5", "abc", "None", "-0.5",
    "-1", "-1e-3", "1e400", "\u0660.\u0665",
]
HUMAN_READABLE_VALUES = [
    "8192", "32K", "32k", "2.5K", "25.6k", "4.1k", "2.3k", "0.3k", "1M", "1m", "1.5m",
    "1G", "1g", "1.5g", "1T", "1t", "K", "32KB", "32 K", " 32K", "32K ", "1_000",
    "1_000k", "0", "-1", "-1k", "0x10", "1e3", "", "None", "\u0663\u0662K", "1.0K",
    "32.k", ".5k", "007k", "+1k", "32.3k", "64.1k", "1.001k", "4.1m", "\u00a032k",
]
STR_VALUES = [
    "x", "", " ", "None", "none", "a b", "\u00fcn\u00efc\u00f8de", "a=b", '{"a": 1}',
    "line\nfeed", "-1", "-x", "-x y", "--x", "-x.y",
]
JSON_VALUES = [
    '{"a": 1}', "{}", "[1]", "3", "null", '"s"', "true", "{bad", "", "None",
    "{'a': 1}", "NaN", '{"a": NaN}', '{"a": Infinity}', ' {"a": 1} ',
    '{"a": 1}{"b": 2}', '{"a": 1, "a": 2}', '{"a": 12345678901234567890}',
    '{"a": 1.0}', '["*"]',
]
JSON_OR_STRING_VALUES = [
    '{"a": 1}', "{}", "abc", "", "None", "{bad", "{bad}", "[1]", "3", "null",
    ' {"a": 1} ', '{"a": 1}\n', '{"a": 1} x', '{"a": NaN}', '{"a": 1, "a": 2}',
    "{'a': 1}", '{"a": 1}\x0b', '\u00a0{"a": 1}',
]
DATACLASS_COMMON = ["{}", "3", "null", "[1]", "{bad", "", "None", '{"bogus": 1}']
DATACLASS_VALUES = {
    "CompilationConfig": [
        '{"level": 3}', '{"level": "3"}', '{"level": 3.0}', '{"level": 3.5}',
        '{"level": true}', '{"level": null}', '{"level": -1}', '{"level": "3.0"}',
        '{"cudagraph_mode": "FULL"}', '{"cudagraph_mode": "full"}',
        '{"cudagraph_mode": "FULL_AND_PIECEWISE"}', '{"cudagraph_mode": "bogus"}',
        '{"cudagraph_mode": 2}', '{"custom_ops": ["none", "all"]}',
        '{"custom_ops": ["+rms_norm", "-silu_and_mul"]}', '{"custom_ops": "none"}',
        '{"use_cudagraph": false}', '{"use_cudagraph": false, "cudagraph_mode": "FULL"}',
        '{"full_cuda_graph": true}', '{"pass_config": {"enable_fusion": true}}',
        '{"pass_config": {"bogus": 1}}', '{"cudagraph_capture_sizes": [1, 2, 4]}',
        '{"compile_sizes": [1, "cudagraph_capture_sizes"]}', '{"max_capture_size": 8}',
        '{"level": 3, "level": 1}', '{"inductor_compile_config": {"max_autotune": true}}',
    ],
    "EPLBConfig": [
        '{"window_size": 1000}', '{"window_size": "10"}', '{"window_size": 1.5}',
        '{"window_size": -1}', '{"log_balancedness": "yes"}', '{"log_balancedness": 1}',
        '{"log_balancedness": "true"}', '{"step_interval": null}',
        '{"num_redundant_experts": 2}',
    ],
    "KVEventsConfig": [
        '{"enable_kv_cache_events": true}', '{"enable_kv_cache_events": "true"}',
        '{"publisher": "zmq", "endpoint": "tcp://*:5557"}', '{"buffer_steps": "x"}',
        '{"hwm": 1e3}', '{"replay_endpoint": null}',
    ],
    "KVTransferConfig": [
        '{"kv_connector": "SharedStorageConnector", "kv_role": "kv_both"}',
        '{"kv_role": "kv_both"}', '{"kv_role": "bogus"}', '{"kv_connector": "X"}',
        '{"kv_buffer_size": "1e9"}', '{"kv_port": "x"}',
        '{"kv_connector": "X", "kv_role": "kv_producer", "engine_id": "e1"}',
    ],
}
INT_CHOICE_EXTRA = ["016", " 16", "1_6", "+16", "17", "16.0", "0x10", "None", "", "abc"]
LIST_VALUES = {
    "str": [["a"], ["a", "b"], ["", "b"], ["None"], ["a,b"], ["a", "None"], ["-x"],
            ["a", "-x y"]],
    "int": [["1"], ["1", "2", "4"], ["1", "x"], ["0"], ["-1"], ["1,2"], ["1_0"], [" 8"],
            ["2.0"], ["None"]],
}
LORA_VALUES = [
    ["a=/p"], ["a=/p", "b=/q"], ['{"name": "a", "path": "/p"}'],
    ['{"name": "a", "path": "/p", "base_model_name": "m"}'], ["a=b=c"], ["a"],
    ['{"name": "a"}'], ['[{"name": "a", "path": "/p"}]'], ["a=/p,q"], ["None"], [""],
    ["=/p"], ["a="], ['{"name": "a", "path": "/p", "bogus": 1}'],
    ['{"name": "a=b", "path": "/p"}'], ["3"],
]


def underscore(flag):
    """`--max-model-len` -> `--max_model_len` (FlexibleArgumentParser turns it back)."""
    return "--" + flag[2:].replace("-", "_")


def base_type(parser_name):
    """Innermost `type=` name: optional_type(human_readable_int) -> human_readable_int."""
    n = parser_name or "str"
    while n.startswith(("optional_type(", "parse_type(")):
        n = n[n.index("(") + 1:-1]
    return n


class Corpus:
    def __init__(self):
        self.cases = []
        self.seen = set()

    def add(self, about, argv, note=None, files=None, base=True):
        full = (BASE + argv) if base else list(argv)
        key = json.dumps([full, files], sort_keys=True)
        if key in self.seen:
            return
        self.seen.add(key)
        case = {"about": about, "argv": full}
        if files:
            case["files"] = files
        if note:
            case["note"] = note
        self.cases.append(case)


def flag_cases(c, f):
    """The generated cases of one catalog flag."""
    flag, dest, kind = f["flag"], f["dest"], f["kind"]
    about = [dest]
    if dest == "model":
        return model_cases(c)
    und = underscore(flag)
    if kind in ("bool_pair", "store_true"):
        neg = f.get("negative_flag")
        forms = [[flag], [flag, flag], [flag + "=true"], [flag + "=1"], [flag + "="],
                 [flag, "false"], [und], [flag.upper()], [flag[:-1]]]
        if neg:
            forms += [[neg], [flag, neg], [neg, flag], [neg + "=false"], [underscore(neg)]]
        else:
            forms += [["--no-" + flag[2:]]]
        for argv in forms:
            c.add(about, argv)
        return
    c.add(about, [flag], note="flag without its value")
    if kind == "append":
        for argv in [[flag, "a"], [flag, "a", flag, "b"], [flag, ""], [flag, "a", "b"],
                     [flag + "=a", flag + "=b"], [und, "a"], [flag, "a,b"], [flag, "None"]]:
            c.add(about, argv)
        return
    if f.get("nargs") == "?":
        for argv in [[flag, "tok"], [flag, ""], [flag, "None"], [flag, "--port", "8001"],
                     [flag + "=tok"], [flag + "="], [und, "tok"], [flag, "true"]]:
            c.add(about, argv)
        return
    if f.get("action") == "LoRAParserAction":
        for items in LORA_VALUES:
            c.add(about, [flag] + items)
        c.add(about, [flag, "a=/p", flag, "b=/q"], note="repeated flag")
        return
    if kind == "list":
        item = base_type(f["parser"])
        values = list(LIST_VALUES["int" if item == "int" else "str"])
        for ch in f["choices"] or []:
            values.append([ch])
        if f["choices"]:
            values += [[f["choices"][0], f["choices"][1]], [f["choices"][0].upper()],
                       [",".join(f["choices"][:2])]]
        for items in values:
            c.add(about, [flag] + items)
        c.add(about, [flag, "a", flag, "b"] if item != "int" else [flag, "1", flag, "2"],
              note="repeated flag")
        c.add(about, [flag + "=" + values[0][0]])
        c.add(about, [und] + values[0])
        return
    values = scalar_values(f)
    for v in values:
        c.add(about, [flag, v])
    # other spellings of one valid value and of one refused value
    good = values[0]
    c.add(about, [flag + "=" + good])
    c.add(about, [und, good])
    c.add(about, [und + "=" + good])
    c.add(about, [flag, good, flag, values[1]], note="repeated flag")
    for alias in f["aliases"]:
        c.add(about, [alias, good])
        c.add(about, [alias + "=" + good])
        c.add(about, [alias + good], note="value attached to a single-dash alias")
    for v in values:
        if v.startswith("-") or v.startswith(" ") or v == "":
            c.add(about, [flag + "=" + v], note="--flag=value form of a value "
                  "that starts with '-', a space, or is empty")


def scalar_values(f):
    p = f["parser"]
    bt = base_type(p)
    if f["choices"]:
        if bt == "int":
            return [str(ch) for ch in f["choices"]] + INT_CHOICE_EXTRA
        chs = [ch for ch in f["choices"]]
        first = chs[0]
        extra = [first.upper(), first.title(), first + " ", " " + first, first[:-1], "",
                 "None", "bogus"]
        return chs + [e for e in extra if e not in chs]
    if bt == "int":
        return list(INT_VALUES)
    if bt == "float":
        return list(FLOAT_VALUES)
    if bt == "human_readable_int":
        return list(HUMAN_READABLE_VALUES)
    if bt in ("json.loads",):
        return list(JSON_VALUES)
    if bt == "union_dict_and_str":
        return list(JSON_OR_STRING_VALUES)
    if bt.startswith("parse_dataclass("):
        cls = bt[len("parse_dataclass("):-1]
        return DATACLASS_VALUES[cls] + DATACLASS_COMMON
    return list(STR_VALUES)


def model_cases(c):
    """--model and the positional model_tag (these cases do not start with --model m)."""
    about = ["model", "model_tag"]
    for argv in [["--model", "m"], ["--model", ""], ["--model", "org/name"],
                 ["--model", "/models/x"], ["--model=m"], ["--model"], [], ["m"],
                 ["m", "--model", "n"], ["--model", "m", "n"], ["--model", "m", "n", "o"],
                 ["--model", "m", "--model", "n"], ["--model", "-m"], ["--model", "None"],
                 ["--model", "Qwen/Qwen2.5-7B-Instruct"], ["--model", "m.gguf"],
                 ["--model", "-m.gguf"], ["serve", "--model", "m"], ["serve", "m"],
                 ["--model", "m", "--", "n"], ["--", "m"], ["--model", "m", "--"]]:
        c.add(about, argv, base=False)


def hand_cases(c):
    """FlexibleArgumentParser rewrites and other parser-wide behaviour."""
    cc = ["compilation_config"]
    for argv, note in [
        (["-O3"], "-O<n> rewrite"), (["-O0"], None), (["-O10"], None), (["-O-1"], None),
        (["-O=3"], "-O=<n> rewrite"), (["-O", "3"], "-O <n> rewrite (n in 0..3 only)"),
        (["-O", "4"], "-O followed by a token outside {0,1,2,3}"), (["-O", "3.0"], None),
        (["-O", " 3"], None), (["-O"], None), (["-O3", "-O2"], "two -O: merged dict"),
        (["-Odecode"], None), (["-O.level", "3"], None), (["-O.level=3"], None),
        (["-O", '{"level": 3}'], None), (["-O=" + '{"level": 3}'], None),
        (["-O" + '{"level": 3}'], None),
        (["-O3", "--compilation-config", '{"level": 1}'], "-O and --compilation-config"),
        (["--compilation-config", '{"level": 1}', "-O3"], "-O and --compilation-config"),
        (["-O3", "--compilation-config.level", "1"], "two dotted keys (-O, --compilation-config)"),
        (["--compilation-config.level", "3"], "dotted"),
        (["--compilation-config.level=3"], "dotted with ="),
        (["--compilation_config.level", "3"], "underscores before the dot"),
        (["--compilation-config.cudagraph_mode", "FULL"], "non-JSON value kept as string"),
        (["--compilation-config.cudagraph_capture_sizes", "[1, 2]"], None),
        (["--compilation-config.custom_ops+", "+rms_norm"], "+ suffix: list"),
        (["--compilation-config.custom_ops+=+rms_norm,-silu_and_mul"], "+= comma list"),
        (["--compilation-config.custom_ops+", "a", "--compilation-config.custom_ops+", "b"],
         "+ lists concatenated"),
        (["--compilation-config.pass_config.enable_fusion", "true"], "nested dotted"),
        (["--compilation-config.level", "3", "--compilation-config.level", "1"],
         "duplicate dotted key"),
        (["--compilation-config.level", "3", "--compilation-config.use_inductor", "false"],
         "dotted keys merged"),
        (["--compilation-config", '{"use_inductor": false}', "--compilation-config.level", "3"],
         "plain JSON then dotted"),
        (["--compilation-config.level"], "dotted flag last, no value"),
        (["-O.level"], None),
        (["--compilation-config={\"level\": 3}"], None),
    ]:
        c.add(cc, argv, note)
    hf = ["hf_overrides"]
    for argv, note in [
        (["--hf-overrides.x.y", "1"], "dotted into a str-or-JSON flag"),
        (["--hf-overrides.x", "1", "--hf-overrides.x", "2"], "duplicate key"),
        (["--hf-overrides.x", "1", "--hf-overrides.x.y", "2"], "scalar replaced by dict"),
        (["--hf-overrides.x.y", "1", "--hf-overrides.x.z", "2"], "merged"),
        (["--hf-overrides.x", "true"], None), (["--hf-overrides.x", "1e3"], None),
        (["--hf-overrides.x", "abc"], None), (["--hf-overrides.x", '"1"'], None),
        (["--hf-overrides.x", "null"], None), (["--hf-overrides.x", "NaN"], None),
        (["--hf-overrides.x", "-1"], None), (["--hf-overrides.x", "-1.5"], None),
        (["--hf-overrides.x", "--port"], "next token taken as the value, whatever it is"),
        (["--hf-overrides.x=a=b"], None), (["--hf-overrides.x="], None),
        (["--hf-overrides.x.", "1"], None), (["--hf-overrides..x", "1"], None),
        (["--hf-overrides.", "1"], None),
        (["--hf_overrides.rope_scaling.rope_type", "yarn"], "underscores kept after the dot"),
        (["--hf-overrides", '{"a": 1}', "--hf-overrides.b", "2"], "plain JSON then dotted"),
        (["--hf-overrides.b", "2", "--hf-overrides", '{"a": 1}'], "dotted then plain JSON"),
        (["--hf-overrides.x+", "a,b"], None),
        (["--hf-overrides.x+", "a", "--hf-overrides.x+", "b"], None),
        (["--hf-overrides.x", "[1]", "--hf-overrides.x", "[2]"], "lists concatenated"),
        (["--hf-overrides.x"], "dotted flag last, no value"),
    ]:
        c.add(hf, argv, note)
    for about, argv, note in [
        (["max_model_len"], ["--max-model-len.x", "1"], "dotted on a non-JSON flag"),
        (["model"], ["--model.x", "y"], "dotted on a str flag"),
        (["rope_scaling"], ["--rope-scaling.rope_type", "yarn", "--rope-scaling.factor", "4"],
         None),
        (["limit_mm_per_prompt"], ["--limit-mm-per-prompt.image", "2"], None),
        (["speculative_config"], ["--speculative-config.num_speculative_tokens", "5"], None),
        (["kv_transfer_config"], ["--kv-transfer-config.kv_connector", "X",
                                  "--kv-transfer-config.kv_role", "kv_both"], None),
        ([], ["--bogus.x", "1"], "dotted unknown flag"),
        ([], ["-x.y", "1"], "single dash with a dot"),
        # negative numbers: a token starting with '-' and containing '.' is taken as dotted
        (["swap_space"], ["--swap-space", "-0.5"], "negative float, last token"),
        (["swap_space"], ["--swap-space", "-0.5", "--port", "8001"],
         "negative float, not last"),
        (["swap_space"], ["--swap-space=-0.5"], None),
        (["swap_space"], ["--swap-space", "-1"], None),
        (["swap_space"], ["--swap-space", "-1e3"], None),
        (["swap_space"], ["--swap-space", "-inf"], None),
        (["gpu_memory_utilization"], ["--gpu-memory-utilization", "-.5"], None),
        (["rope_theta"], ["--rope-theta", "-1.5", "--seed", "1"], None),
        (["chat_template"], ["--chat-template", "-a.jinja"], None),
        (["chat_template"], ["--chat-template=-a.jinja"], None),
        (["served_model_name"], ["--served-model-name", "a", "-b.c", "d"], None),
        (["served_model_name"], ["--served-model-name", "a.b"], None),
        # abbreviations (allow_abbrev is argparse's default, True)
        (["max_model_len"], ["--max-model", "4096"], "unique prefix"),
        (["max_model_len"], ["--max-model=4096"], None),
        (["max_model_len"], ["--max_model", "4096"], None),
        ([], ["--max-num", "4"], "ambiguous prefix"),
        (["tensor_parallel_size"], ["--tensor-parallel", "2"], None),
        (["tensor_parallel_size"], ["--tensor", "2"], None),
        (["enable_prefix_caching"], ["--enable-prefix"], None),
        (["enable_prefix_caching"], ["--no-enable-prefix"], None),
        (["enable_prefix_caching"], ["--no-enable-prefix-caching", "--enable-prefix-caching"],
         None),
        (["port"], ["--po", "8001"], None),
        (["port"], ["--port", "8001", "--por", "8002"], None),
        (["quantization"], ["-qfp8"], None),
        (["quantization"], ["-q", "fp8", "-q", "awq"], None),
        (["tensor_parallel_size"], ["-tp2"], None),
        (["tensor_parallel_size"], ["-t", "2"], None),
        (["tensor_parallel_size"], ["--tp", "2"], None),
        (["tensor_parallel_size"], ["--tensor_parallel-size", "2"], None),
        (["tensor_parallel_size"], ["---tensor-parallel-size", "2"], None),
        (["tensor_parallel_size"], ["--TENSOR-PARALLEL-SIZE", "2"], None),
        ([], ["--bogus", "1"], "unknown flag"),
        ([], ["--bogus"], None),
        ([], ["-x"], None),
        # bools given values
        (["trust_remote_code", "model_tag"], ["--trust-remote-code", "false"],
         "the value becomes the positional model_tag"),
        (["trust_remote_code", "model_tag"], ["--trust-remote-code", "false", "x"], None),
        (["disable_log_requests"], ["--disable-log-requests"], "deprecated warning"),
        (["disable_log_requests"], ["--no-disable-log-requests"], None),
        (["num_redundant_experts"], ["--num-redundant-experts", "1"], "deprecated warning"),
        (["task"], ["--task", "generate"], "deprecated warning"),
        # order and repetition across flags
        (["served_model_name"], ["--served-model-name", "a", "--served-model-name", "b"], None),
        (["served_model_name", "model_tag"], ["--served-model-name", "a", "--", "b"], None),
        (["middleware"], ["--middleware", "a", "--middleware=b", "--middleware", "c"], None),
        (["enable_auto_tool_choice", "tool_call_parser"], ["--enable-auto-tool-choice"],
         "validate_parsed_serve_args is not part of parse_args"),
        (["port"], ["--port", "8001", "--port=8002"], None),
        (["port", "host"], ["--port", "--host", "h"], None),
    ]:
        c.add(about, argv, note)
    # --config: YAML read relative to the working directory (files written there)
    cfg = "c.yaml"
    for about, files, argv, note in [
        (["max_model_len"], {cfg: "max-model-len: 4096\n"}, ["--config", cfg], None),
        (["max_model_len"], {cfg: "max_model_len: 32K\n"}, ["--config", cfg], None),
        (["max_model_len"], {cfg: "max-model-len: 4096\n"},
         ["--config", cfg, "--max-model-len", "8192"], "command line after the file"),
        (["max_model_len"], {cfg: "max-model-len: 4096\n"},
         ["--max-model-len", "8192", "--config", cfg], None),
        (["enable_prefix_caching"], {cfg: "enable-prefix-caching: true\n"},
         ["--config", cfg], None),
        (["enable_prefix_caching"], {cfg: "enable-prefix-caching: false\n"},
         ["--enable-prefix-caching", "--config", cfg], "false is dropped"),
        (["served_model_name"], {cfg: "served-model-name: [a, b]\n"}, ["--config", cfg], None),
        (["served_model_name"], {cfg: "served-model-name: []\n"}, ["--config", cfg], None),
        (["hf_overrides"], {cfg: "hf-overrides: {a: 1}\n"}, ["--config", cfg],
         "a mapping is passed as str(dict)"),
        (["hf_overrides"], {cfg: "hf-overrides: '{\"a\": 1}'\n"}, ["--config", cfg], None),
        (["compilation_config"], {cfg: "compilation-config: {level: 3}\n"},
         ["--config", cfg], None),
        (["compilation_config"], {cfg: "O: 3\n"}, ["--config", cfg], None),
        (["seed"], {cfg: "seed: null\n"}, ["--config", cfg], "null is passed as 'None'"),
        (["port"], {cfg: "port: null\n"}, ["--config", cfg], None),
        (["gpu_memory_utilization"], {cfg: "gpu-memory-utilization: 0.9\n"},
         ["--config", cfg], None),
        (["gpu_memory_utilization"], {cfg: "gpu-memory-utilization: .9e0\n"},
         ["--config", cfg], None),
        (["trust_remote_code"], {cfg: "trust-remote-code: yes\n"}, ["--config", cfg],
         "YAML 1.1 yes"),
        (["trust_remote_code"], {cfg: "trust-remote-code: 'true'\n"}, ["--config", cfg],
         None),
        (["model"], {cfg: "model: m2\n"}, ["--config", cfg], None),
        ([], {cfg: "bogus: 1\n"}, ["--config", cfg], None),
        ([], {cfg: "- a\n"}, ["--config", cfg], "not a mapping"),
        ([], {cfg: ""}, ["--config", cfg], "empty file"),
        ([], {"c.json": "{}"}, ["--config", "c.json"], None),
        ([], {}, ["--config", "missing.yaml"], None),
        ([], {}, ["--config"], None),
        ([], {cfg: "port: 8001\n"}, ["--config", cfg, "--config", cfg], None),
        ([], {cfg: "port: 8001\n"}, ["--config=" + cfg], None),
    ]:
        c.add(about, argv, note, files=files)


def build_corpus(catalog):
    c = Corpus()
    for f in catalog["flags"]:
        flag_cases(c, f)
    hand_cases(c)
    return c.cases


# ----------------------------------------------------------------------------------
# The child: runs inside a process whose import path holds crosscheck.py's stubs.

CHILD = r'''
import contextlib, dataclasses, enum, importlib.metadata, io, json, logging, os, platform
import re as stdre, sys, tempfile
ROOT, CASES, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
sys.argv = ["api_server"]            # vllm/engine/arg_utils.py NEEDS_HELP reads sys.argv
sys.path.insert(0, ROOT)
import stubfinder  # noqa: F401  (installs the finder)
from unittest.mock import patch
import vllm.entrypoints.openai.cli_args as cli_args
from vllm.utils import FlexibleArgumentParser
import vllm.logger as vlogger

# as vllm/entrypoints/openai/api_server.py's __main__ builds it
parser = FlexibleArgumentParser(description="vLLM OpenAI-Compatible RESTful API server.")
with patch("vllm.config.DeviceConfig.__post_init__"):
    parser = cli_args.make_arg_parser(parser)


class Refused(Exception):
    pass


def error(message):                 # argparse's error(): usage + message, exit status 2
    raise Refused(message)


parser.error = error

records = []


class Grab(logging.Handler):
    def emit(self, record):
        records.append("%s: %s" % (record.levelname, record.getMessage()))


root_logger = logging.getLogger("vllm")
root_logger.handlers[:] = [Grab()]
root_logger.setLevel(logging.WARNING)
root_logger.propagate = False

ADDR = stdre.compile(r" at 0x[0-9a-fA-F]+")
UUID = stdre.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b")


def clean(s):
    return UUID.sub("<uuid4>", ADDR.sub(" at 0x<address>", s))


def type_name(t):
    if t is None:
        return None
    n = getattr(t, "__name__", None)
    if n == "_optional_type":
        return "optional_type(%s)" % type_name(t.__closure__[0].cell_contents)
    if n == "_parse_type":
        return "parse_type(%s)" % type_name(t.__closure__[0].cell_contents)
    if n == "parse_dataclass":
        return "parse_dataclass(%s)" % t.__defaults__[0].__name__
    if t is json.loads:
        return "json.loads"
    return n or repr(t)


def tag(v):
    """JSON form of a parsed value; see "conventions" in the output."""
    if v is None or isinstance(v, (bool, str)):
        return clean(v) if isinstance(v, str) else v
    if isinstance(v, enum.Enum):
        return {"$enum": "%s.%s" % (type(v).__name__, v.name)}
    if isinstance(v, int):
        return v if abs(v) <= 2 ** 53 else {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, list):
        return [tag(x) for x in v]
    if isinstance(v, tuple):
        return {"$tuple": [tag(x) for x in v]}
    if isinstance(v, dict) and type(v) is dict:
        return {str(k): tag(x) for k, x in v.items()}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        cls = type(v)
        try:
            default = cls()
        except Exception:
            default = None
        out = {}
        for fld in dataclasses.fields(v):
            mine = tag(getattr(v, fld.name, None))
            if default is None or mine != tag(getattr(default, fld.name, None)):
                out[fld.name] = mine
        return {"$dataclass": cls.__name__, "non_default": out}
    return {"$type": type(v).__name__, "$repr": clean(repr(v))}


def parse(argv, files):
    """One case: vLLM's verdict."""
    records.clear()
    for f in (vlogger._print_warning_once, vlogger._print_info_once):
        f.cache_clear()
    err = io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (files or {}).items():
            with open(os.path.join(tmp, name), "w") as fh:
                fh.write(text)
        os.chdir(tmp)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(err):
                ns = parser.parse_args(list(argv))
            verdict = {"accepted": True, "ns": ns}
        except Refused as e:
            verdict = {"accepted": False, "error": clean(str(e)), "by": "argparse",
                       "exit_status": 2}
        except SystemExit as e:
            verdict = {"accepted": False, "error": clean(err.getvalue().strip()),
                       "by": "argparse", "exit_status": e.code}
        except Exception as e:
            verdict = {"accepted": False, "error": clean(str(e)), "by": "exception",
                       "exit_status": 1, "exception": type(e).__name__}
        finally:
            os.chdir(cwd)
    warnings = list(records) + [clean(l) for l in err.getvalue().splitlines() if l.strip()
                                 and verdict.get("by") != "argparse"]
    if warnings:
        verdict["warnings"] = warnings
    return verdict


cases = json.load(open(CASES))
base = {k: json.dumps(tag(v), sort_keys=True)
        for k, v in vars(parse(["--model", "m"], None)["ns"]).items()}
results = []
for case in cases:
    v = parse(case["argv"], case.get("files"))
    ns = v.pop("ns", None)
    if ns is not None:
        values = {}
        for k, x in sorted(vars(ns).items()):
            t = tag(x)
            if k in case["about"] or json.dumps(t, sort_keys=True) != base.get(k):
                values[k] = t
        v = dict(accepted=True, values=values, **{k: x for k, x in v.items() if k != "accepted"})
    results.append(v)

actions = []
for g in parser._action_groups:
    for a in g._group_actions:
        if "--help" in a.option_strings:
            continue
        actions.append({
            "group": g.title, "option_strings": list(a.option_strings), "dest": a.dest,
            "action": type(a).__name__, "type": type_name(a.type), "nargs": a.nargs,
            "choices": [tag(c) for c in a.choices] if a.choices is not None else None,
            "const": tag(a.const), "default": tag(a.default),
            "deprecated": a in FlexibleArgumentParser._deprecated,
        })

files = sorted({os.path.relpath(m.__file__, ROOT) for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and os.path.abspath(m.__file__).startswith(
                    os.path.abspath(ROOT) + os.sep)})
versions = {}
for dist in ("pydantic", "pydantic-core", "regex", "PyYAML"):
    try:
        versions[dist] = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        versions[dist] = None
json.dump({"results": results, "actions": actions, "files": files, "versions": versions,
           "stubbed": sorted({n if n.startswith("vllm.") else n.split(".")[0]
                            for n in stubfinder.FINDER.stubbed}),
           "python": "%s %s" % (platform.python_implementation(), platform.python_version())},
          open(OUT, "w"))
'''


def run_child(root, cases, python):
    with tempfile.TemporaryDirectory(prefix="vllm-oracle-") as tmp:
        os.makedirs(os.path.join(tmp, "msgspec"))
        files = {"stubfinder.py": crosscheck.STUBFINDER, "cachetools.py": crosscheck.CACHETOOLS,
                 "msgspec/__init__.py": crosscheck.MSGSPEC,
                 "msgspec/msgpack.py": crosscheck.MSGSPEC_SUB,
                 "msgspec/json.py": crosscheck.MSGSPEC_SUB, "child.py": CHILD}
        for rel, text in files.items():
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(textwrap.dedent(text))
        with open(os.path.join(tmp, "cases.json"), "w") as f:
            json.dump(cases, f)
        out = os.path.join(tmp, "out.json")
        path = os.pathsep.join(p for p in [tmp, os.environ.get("PYTHONPATH")] if p)
        env = dict(os.environ, PYTHONPATH=path, VLLM_CONFIGURE_LOGGING="0")
        for k in list(env):
            if k.startswith("VLLM_") and k != "VLLM_CONFIGURE_LOGGING":
                del env[k]  # defaults of --log-config-file etc. come from the environment
        r = subprocess.run([python, os.path.join(tmp, "child.py"), os.path.abspath(root),
                            os.path.join(tmp, "cases.json"), out],
                           cwd=tmp, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr[-6000:])
            raise RuntimeError("could not build or run vLLM's parser")
        with open(out) as f:
            return json.load(f)


def repo_path(path):
    """`path` relative to the repository root when inside it, else its base name."""
    rel = os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.dirname(HERE)))
    return os.path.basename(path) if rel.startswith("..") else rel


# ----------------------------------------------------------------------------------

def catalog_style(type_name):
    """The catalog's `parser` spelling: it writes parse_type(json.loads) as json.loads."""
    return type_name.replace("parse_type(json.loads)", "json.loads") if type_name else None


def compare_flags(actions, catalog):
    """Real parser vs catalog: flags, aliases, type= function, nargs, choices."""
    C = {f["flag"]: f for f in catalog["flags"]}
    A = {a["option_strings"][0]: a for a in actions if a["option_strings"]}
    problems = []
    for flag in sorted(set(A) ^ set(C)):
        problems.append("%s: only in %s" % (flag, "vLLM's parser" if flag in A else "the catalog"))
    for flag in sorted(set(A) & set(C)):
        a, f = A[flag], C[flag]
        nargs = a["nargs"] if a["nargs"] != 0 else None
        aliases = [s for s in a["option_strings"][1:] if not s.startswith("--no-")]
        checks = [("type", catalog_style(a["type"]), f["parser"]),
                  ("nargs", nargs, f["nargs"]),
                  ("choices", a["choices"], f["choices"]),
                  ("aliases", aliases, f["aliases"]),
                  ("dest", a["dest"], f["dest"]),
                  ("action", a["action"],
                   ACTION_OF_KIND.get(f["kind"]) or f.get("action") or "_StoreAction")]
        if a["action"] == "_StoreAction":
            checks.append(("const", a["const"], f.get("const")))
        for what, real, ours in checks:
            if real != ours:
                problems.append("%s: %s: vLLM %r, catalog %r" % (flag, what, real, ours))
    return problems


ACTION_OF_KIND = {"bool_pair": "BooleanOptionalAction", "store_true": "_StoreTrueAction",
                  "append": "_AppendAction"}


def compare_none(cases, catalog):
    """The catalog's `accepts_none` against vLLM's verdict on `--flag None`."""
    verdicts = {tuple(c["argv"]): c["verdict"] for c in cases}
    problems = []
    for f in catalog["flags"]:
        v = verdicts.get(tuple(BASE + [f["flag"], "None"]))
        if v is None:
            continue
        none = [None] if f["nargs"] == "+" else None   # a list flag: each item
        real = v["accepted"] and v["values"].get(f["dest"]) == none
        if real != f["accepts_none"]:
            got = ("refuses it: %s" % v["error"] if not v["accepted"] else
                   "parses it to %s" % json.dumps(v["values"].get(f["dest"])))
            problems.append("%s: accepts_none: catalog %r; for `%s None` vLLM %s" % (
                f["flag"], f["accepts_none"], f["flag"], got))
    return problems


def build(root, catalog_path, python):
    with open(catalog_path, encoding="utf-8") as f:
        catalog = json.load(f)
    cases = build_corpus(catalog)
    child = run_child(root, cases, python)
    for case, verdict in zip(cases, child["results"]):
        case["verdict"] = verdict
    problems = compare_flags(child["actions"], catalog)
    none_problems = compare_none(cases, catalog)

    catalog_flags = {f["flag"]: f for f in catalog["flags"]}
    per_flag = {}
    for a in child["actions"]:
        key = a["option_strings"][0] if a["option_strings"] else a["dest"]
        per_flag[key] = {k: a[k] for k in ("dest", "option_strings", "group", "action",
                                           "type", "nargs", "choices", "const", "default",
                                           "deprecated")}
    counts = {}
    for case in cases:
        for d in case["about"]:
            counts[d] = counts.get(d, 0) + 1
    for entry in per_flag.values():
        entry["cases"] = counts.get(entry["dest"], 0)
    cases.sort(key=lambda c: (c["about"], json.dumps(c["argv"], ensure_ascii=False),
                              json.dumps(c.get("files"), sort_keys=True)))
    source_files = sorted(set(child["files"]) | {"vllm/entrypoints/openai/api_server.py"})
    out = {
        "vllm_version": "0.10.2",
        "provenance": {
            "repository": REPOSITORY,
            "commit": PINNED_COMMIT,
            "generator": "tools/vllm-catalog/oracle.py",
            "generator_git_blob_id": git_blob_id(os.path.abspath(__file__)),
            "catalog": repo_path(catalog_path),
            "catalog_git_blob_id": git_blob_id(catalog_path),
            "python": child["python"],
            "packages": child["versions"],
            "stubbed_packages": child["stubbed"],
            "how": "vLLM's parser built from the release tree as "
                   "vllm/entrypoints/openai/api_server.py __main__ does "
                   "(FlexibleArgumentParser + make_arg_parser), run with parse_args(argv); "
                   "packages not installed are import stubs (crosscheck.py); VLLM_* "
                   "environment variables unset",
            "files": source_files,
            "git_blob_ids": {f: git_blob_id(os.path.join(root, f)) for f in source_files},
        },
        "conventions": {
            "argv": "the tokens after `python -m vllm.entrypoints.openai.api_server`; "
                    "cases not about the model start with --model m",
            "files": "files written into the working directory before parsing (--config)",
            "about": "the dests the case tests",
            "values": "for an accepted case: each dest in `about`, and every other dest "
                      "whose value differs from the parse of [--model, m]",
            "tags": {"$float": "a Python float, its repr (nan, inf, -0.0 included)",
                     "$int": "an integer beyond 2**53, decimal",
                     "$tuple": "a tuple",
                     "$enum": "an enum member, Class.NAME",
                     "$dataclass": "a dataclass instance: class name and the fields that "
                                   "differ from the class's default instance",
                     "$type/$repr": "any other object"},
            "normalised": "memory addresses in messages are ' at 0x<address>'; uuid4 strings "
                          "(KVTransferConfig.engine_id) are '<uuid4>'",
            "exit_status": "2: argparse error (usage and message on stderr); 1: an "
                           "uncaught exception (traceback)",
            "warnings": "vLLM log records at WARNING and above, and stderr output, "
                        "during parse_args",
        },
        "summary": {
            "cases": len(cases),
            "accepted": sum(1 for c in cases if c["verdict"]["accepted"]),
            "refused_by_argparse": sum(1 for c in cases if c["verdict"].get("by") == "argparse"),
            "refused_by_exception": sum(1 for c in cases
                                        if c["verdict"].get("by") == "exception"),
            "flags": len([k for k in per_flag if k.startswith("-")]),
            "flags_in_catalog": len(catalog_flags),
            "min_cases_per_flag": min(v["cases"] for k, v in per_flag.items()
                                      if k.startswith("-")),
        },
        "catalog_disagreements": problems,
        "catalog_accepts_none_disagreements": none_problems,
        "flags": dict(sorted(per_flag.items())),
        "cases": cases,
    }
    return out, problems, none_problems


def dump(out):
    """Deterministic text: the header indented, one flag and one case per line."""
    head = dict(out, flags={}, cases=[])
    text = json.dumps(head, indent=2, ensure_ascii=False)
    tail = '"flags": {},\n  "cases": []\n}'
    assert text.endswith(tail)
    flags = ['"%s": %s' % (k, json.dumps(v, ensure_ascii=False)) for k, v in out["flags"].items()]
    cases = [json.dumps(c, ensure_ascii=False) for c in out["cases"]]
    return (text[:-len(tail)] + '"flags": {\n    ' + ",\n    ".join(flags) + "\n  },\n"
            + '  "cases": [\n    ' + ",\n    ".join(cases) + "\n  ]\n}\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("vllm_root", help="path to the vLLM source tree (git archive of the release)")
    p.add_argument("catalog", help="the catalog made by extract.py (schema/vllm/0.10.2.json)")
    p.add_argument("--out", help="write here instead of stdout")
    p.add_argument("--python", default=sys.executable,
                   help="interpreter that runs vLLM's parser (default: this one)")
    args = p.parse_args(argv)
    try:
        out, problems, none_problems = build(args.vllm_root, args.catalog, args.python)
    except RuntimeError as e:
        print("oracle.py: error: %s" % e, file=sys.stderr)
        return 1
    text = dump(out)
    json.loads(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    s = out["summary"]
    print("oracle: %d cases (%d accepted, %d refused by argparse, %d by an exception), "
          "%d flags, at least %d cases each" % (s["cases"], s["accepted"],
                                               s["refused_by_argparse"],
                                               s["refused_by_exception"], s["flags"],
                                               s["min_cases_per_flag"]), file=sys.stderr)
    for problem in problems:
        print("DISAGREE " + problem, file=sys.stderr)
    for problem in none_problems:
        print("NOTE " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
