#!/usr/bin/env python3
"""Cross-check a catalog made by extract.py against vLLM's real argument parser.

Usage:
    python3 tools/vllm-catalog/crosscheck.py /path/to/vllm-checkout schema/vllm/0.10.2.json

This is a verification aid, not part of the build. Unlike extract.py it *imports* vLLM
from the given tree (in a child process) and builds the parser with vLLM's own
`make_arg_parser`, the way vLLM's documentation build does (docs/mkdocs/hooks/
generate_argparse.py mocks the packages that are not installed). Here every missing
third-party package (torch, transformers, fastapi, zmq, ...) is replaced by a permissive
stub module, and small stand-ins are provided for `cachetools` and `msgspec`, which vLLM
subclasses at import time.

Needs: Python >= 3.10 with pydantic 2 and `regex` importable (vLLM's config classes are
pydantic dataclasses; these cannot be stubbed). Nothing is installed by this script.

Differences that are expected and not reported as failures:
  * argparse stores nargs=0 for flag actions (store_true, --x/--no-x); the catalog uses null;
  * defaults that are not JSON values (enum members, dataclass instances) are written by
    the catalog as their value / null with a `default_note`.
Exit status: 0 when everything else matches, 1 otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap

STUBFINDER = r'''
import importlib.abc, importlib.machinery, sys, types, typing

class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        c = _Meta(name, (_Base,), {})
        type.__setattr__(cls, name, c)
        return c
    def __getitem__(cls, item):
        return cls
    def __or__(cls, other):
        return typing.Union[cls, other]
    __ror__ = __or__

class _Base(metaclass=_Meta):
    def __init__(self, *a, **k): pass
    @classmethod
    def __get_pydantic_core_schema__(cls, source_type, handler):
        from pydantic_core import core_schema
        return core_schema.any_schema()
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Base()
    def __call__(self, *a, **k): return _Base()
    def __bool__(self): return False
    def __iter__(self): return iter(())
    def __getitem__(self, k): return _Base()
    def __int__(self): return 0
    def __index__(self): return 0
    def __float__(self): return 0.0
    def __len__(self): return 0
    def __mro_entries__(self, bases): return (_Base,)
    def __radd__(self, other): return other
    def __add__(self, other): return self
    __mul__ = __rmul__ = __sub__ = __rsub__ = __truediv__ = __add__
    def __str__(self): return ""
    def __hash__(self): return id(self)
    def __eq__(self, other): return self is other
    def __lt__(self, other): return False
    __le__ = __gt__ = __ge__ = __lt__
    def __enter__(self): return self
    def __exit__(self, *a): return False

class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        c = _Meta(name, (_Base,), {})
        setattr(self, name, c)
        return c

class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        m = StubModule(spec.name)
        m.__path__ = []
        m.__version__ = "2.8.0"
        return m
    def exec_module(self, module): pass

class _Finder(importlib.abc.MetaPathFinder):
    stubbed = []
    def find_spec(self, name, path, target=None):
        top = name.split(".")[0]
        if top == "vllm":
            if not name.startswith("vllm._"):
                return None
        elif (top in sys.stdlib_module_names or top in sys.builtin_module_names
              or importlib.machinery.PathFinder.find_spec(top) is not None):
            return None
        self.stubbed.append(name)
        return importlib.machinery.ModuleSpec(name, _Loader(), is_package=True)

FINDER = _Finder()
sys.meta_path.append(FINDER)
'''

CACHETOOLS = '''
class Cache(dict):
    def __class_getitem__(cls, item): return cls
    def __init__(self, maxsize=0, getsizeof=None): super().__init__()
class LRUCache(Cache): pass
def cached(*a, **k): return lambda f: f
'''

MSGSPEC = '''
class Struct:
    def __init_subclass__(cls, **kw): pass
def field(*a, **k): return k.get("default")
class Meta:
    def __init__(self, *a, **k): pass
class _Unset: pass
UNSET = _Unset()
UnsetType = _Unset
class Raw(bytes): pass
from . import msgpack, json  # noqa
'''

MSGSPEC_SUB = '''
class Encoder:
    def __init__(self, *a, **k): pass
class Decoder:
    def __init__(self, *a, **k): pass
class Ext: pass
'''

DUMP = r'''
import json, sys
ROOT, OUT = sys.argv[1], sys.argv[2]
sys.argv = ["api_server"]
sys.path.insert(0, ROOT)
import stubfinder  # noqa: F401  (installs the finder)
from unittest.mock import patch
import vllm.entrypoints.openai.cli_args as cli_args
from vllm.utils import FlexibleArgumentParser

parser = FlexibleArgumentParser()
with patch("vllm.config.DeviceConfig.__post_init__"):
    parser = cli_args.make_arg_parser(parser)

def name(t):
    if t is None:
        return None
    n = getattr(t, "__name__", repr(t))
    if n == "_optional_type":
        return "optional_type(%s)" % name(t.__closure__[0].cell_contents)
    if n == "_parse_type":
        return name(t.__closure__[0].cell_contents)
    if n == "parse_dataclass":
        return "parse_dataclass(%s)" % t.__defaults__[0].__name__
    if n == "loads":
        return "json.loads"
    return n

def jsonable(v):
    try:
        json.dumps(v)
        return v
    except TypeError:
        return "<%s>" % type(v).__name__

out, order = [], 0
for g in parser._action_groups:
    for a in sorted(g._group_actions, key=lambda a: a.option_strings):
        if not a.option_strings or "--help" in a.option_strings:
            continue
        out.append({
            "group": g.title, "order": order, "option_strings": a.option_strings,
            "dest": a.dest, "action": type(a).__name__, "type": name(a.type),
            "nargs": a.nargs,
            "choices": [jsonable(c) for c in a.choices] if a.choices is not None else None,
            "metavar": jsonable(a.metavar), "default": jsonable(a.default),
            "const": jsonable(a.const),
            "deprecated": a in getattr(FlexibleArgumentParser, "_deprecated", set()),
        })
        order += 1
with open(OUT, "w") as f:
    json.dump(out, f, indent=1)
print("stubbed packages:", " ".join(sorted({n.split(".")[0] for n in stubfinder.FINDER.stubbed})),
      file=sys.stderr)
'''


def kind_of(a):
    act = a["action"]
    if act == "BooleanOptionalAction":
        return "bool_pair"
    if act == "_StoreTrueAction":
        return "store_true"
    if act == "_AppendAction":
        return "append"
    if a["nargs"] in ("+", "*"):
        return "list"
    base = a["type"] or "str"
    while base.startswith("optional_type("):
        base = base[len("optional_type("):-1]
    if base.startswith("parse_dataclass"):
        return "json"
    return {"int": "int", "human_readable_int": "int", "float": "float", "str": "string",
            "json.loads": "json", "union_dict_and_str": "json_or_string"}.get(base, "?" + base)


def compare(oracle, catalog):
    C = {f["flag"]: f for f in catalog["flags"]}
    O = {a["option_strings"][0]: a for a in oracle}
    problems = []
    for flag in sorted(set(O) - set(C)):
        problems.append("%s: in vLLM's parser, missing from the catalog" % flag)
    for flag in sorted(set(C) - set(O)):
        problems.append("%s: in the catalog, not in vLLM's parser" % flag)
    benign = 0
    for flag, a in O.items():
        f = C.get(flag)
        if not f:
            continue
        checks = [
            ("group", a["group"], f["group"]),
            ("help_order", a["order"], f["help_order"]),
            ("dest", a["dest"], f["dest"]),
            ("aliases", [s for s in a["option_strings"][1:] if not s.startswith("--no-")],
             f["aliases"]),
            ("kind", kind_of(a), f["kind"]),
            ("choices", a["choices"], f["choices"]),
            ("parser", a["type"], f["parser"]),
            ("deprecated", a["deprecated"], bool(f["deprecated"])),
            ("human_readable", "human_readable_int" in (a["type"] or ""), f["human_readable"]),
        ]
        if a["nargs"] != 0 or f["nargs"] is not None:
            checks.append(("nargs", a["nargs"], f["nargs"]))
        else:
            benign += 1
        if isinstance(a["default"], str) and a["default"].startswith("<") and "default_note" in f:
            benign += 1
        else:
            checks.append(("default", a["default"], f["default"]))
        if isinstance(a["metavar"], list):
            checks.append(("metavar", a["metavar"], f.get("suggested_values")))
        elif isinstance(a["metavar"], str):
            checks.append(("metavar", a["metavar"], f.get("metavar")))
        if a["action"] == "_StoreAction":
            checks.append(("const", a["const"], f.get("const")))
        for what, real, ours in checks:
            if real != ours:
                problems.append("%s: %s: vLLM %r, catalog %r" % (flag, what, real, ours))
    return len(set(O) & set(C)), benign, problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root, catalog_path = argv
    with open(catalog_path, encoding="utf-8") as f:
        catalog = json.load(f)
    with tempfile.TemporaryDirectory(prefix="vllm-crosscheck-") as tmp:
        os.makedirs(os.path.join(tmp, "msgspec"))
        files = {"stubfinder.py": STUBFINDER, "cachetools.py": CACHETOOLS,
                 "msgspec/__init__.py": MSGSPEC, "msgspec/msgpack.py": MSGSPEC_SUB,
                 "msgspec/json.py": MSGSPEC_SUB, "dump.py": DUMP}
        for rel, text in files.items():
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(textwrap.dedent(text))
        out = os.path.join(tmp, "parser.json")
        env = dict(os.environ, PYTHONPATH=tmp, VLLM_LOGGING_LEVEL="ERROR")
        r = subprocess.run([sys.executable, os.path.join(tmp, "dump.py"),
                            os.path.abspath(root), out],
                           cwd=tmp, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr[-4000:])
            print("crosscheck: could not build vLLM's parser", file=sys.stderr)
            return 1
        for line in r.stderr.splitlines():
            if line.startswith("stubbed packages:"):
                print(line)
        with open(out) as f:
            oracle = json.load(f)
    n, benign, problems = compare(oracle, catalog)
    print("vLLM parser: %d flags; catalog: %d flags; compared: %d" % (
        len(oracle), len(catalog["flags"]), n))
    print("expected representation differences (nargs=0 flags, non-JSON defaults): %d" % benign)
    for p in problems:
        print("DIFF " + p)
    print("%d differences" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
