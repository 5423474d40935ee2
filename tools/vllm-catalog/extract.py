#!/usr/bin/env python3
"""Build the vLLM flag catalog (schema/vllm/<version>.json) from a vLLM source tree.

Usage:
    python3 tools/vllm-catalog/extract.py /path/to/vllm-checkout > schema/vllm/0.10.2.json
    python3 tools/vllm-catalog/extract.py /path/to/vllm-checkout --out schema/vllm/0.10.2.json

Standard library only. vLLM is never imported (its dependencies such as torch are not
installable here): the source is read with the `ast` module and the parts of vLLM that
build the command line are re-enacted statically:

  * `make_arg_parser` (vllm/entrypoints/openai/cli_args.py), `FrontendArgs.add_cli_args`,
    `AsyncEngineArgs.add_cli_args` and `EngineArgs.add_cli_args` (vllm/engine/arg_utils.py)
    are interpreted statement by statement (argument groups, `add_argument` calls, the
    in-place edits of the kwargs dictionaries, the `for key, value in ...items()` loop);
  * `get_kwargs`/`_compute_kwargs` (vllm/engine/arg_utils.py), which turns a config
    dataclass field's type into argparse kwargs, is re-implemented below
    (`compute_kwargs`), branch for branch, for the 0.10.2 code. A fingerprint of the
    original function is checked so that running this on a tree whose `_compute_kwargs`
    differs fails instead of producing a silently wrong catalog (override with
    --allow-logic-drift).

After extraction a few hand-checked 0.10.2 facts (flag count, --dtype and --kv-cache-dtype
choices, groups of --host/--port/-tp, ...) are asserted (`check_pinned_facts`).

The output is deterministic: same tree in, same bytes out. See README.md beside this file
for the output fields and crosscheck.py for the verification against vLLM's own parser.
"""

import argparse
import ast
import copy
import hashlib
import inspect
import itertools
import json
import os
import re
import sys

CATALOG_VERSION = "0.10.2"
PINNED_COMMIT = "26b999c71ab28ae9708329003007979530638f79"
REPOSITORY = ("https://github.com/vllm-project/vllm (release commit, read from the "
              "nlzy/vllm-gfx906 mirror)")

# sha256 over ast.dump() of vllm.engine.arg_utils._compute_kwargs and the helpers it calls
# (literal_to_kwargs, get_type_hints, is_not_builtin, contains_type, is_type) at the pinned
# commit; print it with --print-fingerprint. KwargsBuilder.compute() mirrors exactly that
# code: if it changes, so must the mirror.
KNOWN_FINGERPRINTS = {
    "0.10.2": "6028000301d6f0c6df484af847ce182318961f5bbe03ab18419387ae2b71496a",
}

BUILTIN_NAMES = {"int", "str", "float", "bool", "dict", "list", "tuple", "type",
                 "object", "set", "bytes", "frozenset"}

TYPING_SPECIALS = {
    "typing.Optional": "Optional",
    "typing.Union": "Union",
    "typing.Literal": "Literal",
    "typing_extensions.Literal": "Literal",
    "typing.List": "list",
    "typing.Dict": "dict",
    "typing.Tuple": "tuple",
    "typing.Type": "type",
    "typing.Set": "set",
    "typing.Any": "Any",
    "typing.Callable": "Callable",
    "collections.abc.Callable": "Callable",
    "typing.Annotated": "Annotated",
    "typing_extensions.Annotated": "Annotated",
    "pydantic.SkipValidation": "Annotated",  # SkipValidation[X] == Annotated[X, ...]
    "typing.ClassVar": "ClassVar",
}

LOG_METHODS = {"debug", "info", "warning", "error", "critical", "debug_once",
               "info_once", "warning_once", "exception"}


class ExtractError(Exception):
    pass


# ----------------------------------------------------------------------------------
# Runtime-value stand-ins used by the static evaluator
# ----------------------------------------------------------------------------------

class Unknown:
    """A value that exists at run time but cannot be known statically."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "Unknown(%s)" % self.text


class Ref:
    """A reference to something named in the source."""

    def __init__(self, kind, qual, mod=None, node=None):
        self.kind = kind  # builtin | external | module | class | function | lambda
        self.qual = qual
        self.mod = mod
        self.node = node

    def __repr__(self):
        return "Ref(%s %s)" % (self.kind, self.qual)


class EnvDefault:
    def __init__(self, name):
        self.name = name


class EnumMember:
    def __init__(self, cls, name, value):
        self.cls, self.name, self.value = cls, name, value


class FieldSpec:
    def __init__(self, default=None, factory=None, has_default=False):
        self.default, self.factory, self.has_default = default, factory, has_default


class BoundMethod:
    def __init__(self, obj, name):
        self.obj, self.name = obj, name


class ParserRef:
    pass


class GroupRef:
    def __init__(self, index):
        self.index = index


class TypeFn:
    """An argparse `type=` callable, by name (and argument when it wraps one)."""

    def __init__(self, name, arg=None):
        self.name, self.arg = name, arg

    def __eq__(self, other):
        return isinstance(other, TypeFn) and (self.name, self.arg) == (other.name, other.arg)

    def __repr__(self):
        return self.name if self.arg is None else "%s(%s)" % (self.name, self.arg)

    def base(self):
        return self.arg.base() if self.name == "optional_type" else self


# ----------------------------------------------------------------------------------
# Source tree and modules
# ----------------------------------------------------------------------------------

def is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class Module:
    def __init__(self, name, relpath, text):
        self.name = name
        self.relpath = relpath
        self.text = text
        self.lines = text.splitlines()
        self.tree = ast.parse(text, filename=relpath)
        self.is_package = relpath.endswith("__init__.py")
        self.defs = {}
        self.type_checking_defs = {}
        self._collect(self.tree.body, self.defs)

    def package_for_relative(self, level):
        parts = self.name.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[:len(parts) - (level - 1)]
        return ".".join(parts)

    def _collect(self, body, defs):
        # Runtime semantics: later bindings win; `if TYPE_CHECKING:` bodies are not run.
        for st in body:
            if isinstance(st, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[st.name] = ("def", st)
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        defs[t.id] = ("value", st.value, st)
            elif isinstance(st, ast.AnnAssign):
                if isinstance(st.target, ast.Name) and st.value is not None:
                    defs[st.target.id] = ("value", st.value, st)
            elif isinstance(st, ast.ImportFrom):
                base = st.module if st.level == 0 else ".".join(
                    p for p in [self.package_for_relative(st.level), st.module or ""] if p)
                for a in st.names:
                    defs[a.asname or a.name] = ("import", base, a.name)
            elif isinstance(st, ast.Import):
                for a in st.names:
                    if a.asname:
                        defs[a.asname] = ("module", a.name)
                    else:
                        defs[a.name.split(".")[0]] = ("module", a.name.split(".")[0])
            elif isinstance(st, ast.If):
                if is_type_checking(st.test):
                    self._collect(st.body, self.type_checking_defs)
                    self._collect(st.orelse, defs)
                else:
                    self._collect(st.body, defs)
                    self._collect(st.orelse, defs)
            elif isinstance(st, ast.Try):
                self._collect(st.body, defs)

    def line_of(self, node):
        return "%s:%d" % (self.relpath, node.lineno)


class Source:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        if not os.path.isfile(os.path.join(self.root, "vllm", "engine", "arg_utils.py")):
            raise ExtractError("%s does not look like a vLLM checkout "
                               "(vllm/engine/arg_utils.py missing)" % root)
        self.modules = {}
        self.used = set()

    def relpath(self, modname):
        p = modname.replace(".", "/")
        if os.path.isfile(os.path.join(self.root, p + ".py")):
            return p + ".py"
        if os.path.isfile(os.path.join(self.root, p, "__init__.py")):
            return p + "/__init__.py"
        return None

    def module(self, modname):
        if modname not in self.modules:
            rel = self.relpath(modname)
            if rel is None:
                raise ExtractError("module %s not found in the tree" % modname)
            with open(os.path.join(self.root, rel), encoding="utf-8") as f:
                self.modules[modname] = Module(modname, rel, f.read())
        self.used.add(self.modules[modname].relpath)
        return self.modules[modname]

    def module_by_path(self, relpath):
        name = relpath[:-3].replace("/", ".")
        if name.endswith(".__init__"):
            name = name[:-len(".__init__")]
        return self.module(name)

    # --- name resolution -----------------------------------------------------------

    def resolve(self, mod, name, env=None):
        if env is not None and name in env:
            return env[name]
        d = mod.defs.get(name)
        if d is None:
            if name in BUILTIN_NAMES or name in ("len", "sorted", "any", "all", "max", "min"):
                return Ref("builtin", name)
            if name == "None":
                return None
            raise ExtractError("%s: cannot resolve name %r" % (mod.relpath, name))
        kind = d[0]
        if kind == "def":
            node = d[1]
            k = "class" if isinstance(node, ast.ClassDef) else "function"
            return Ref(k, "%s.%s" % (mod.name, node.name), mod, node)
        if kind == "value":
            return ("alias", mod, d[1])
        if kind == "module":
            return self.module_ref(d[1])
        if kind == "import":
            return self.resolve_in_module(d[1], d[2])
        raise AssertionError(kind)

    def module_ref(self, modname):
        if self.relpath(modname):
            return Ref("module", modname)
        return Ref("external", modname)

    def resolve_in_module(self, modname, attr):
        if self.relpath(modname):
            m = self.module(modname)
            if attr in m.defs:
                return self.resolve(m, attr)
            if self.relpath(modname + "." + attr):
                return Ref("module", modname + "." + attr)
            raise ExtractError("%s has no %s" % (modname, attr))
        return Ref("external", modname + "." + attr)

    def resolve_expr(self, mod, expr):
        """Resolve a Name/Attribute chain to a Ref or an ('alias', mod, expr) tuple."""
        if isinstance(expr, ast.Name):
            return self.resolve(mod, expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve_expr(mod, expr.value)
            if isinstance(base, Ref):
                if base.kind == "module":
                    return self.resolve_in_module(base.qual, expr.attr)
                if base.kind == "external":
                    return Ref("external", base.qual + "." + expr.attr)
            raise ExtractError("%s:%d: cannot resolve %s" % (
                mod.relpath, expr.lineno, ast.unparse(expr)))
        raise ExtractError("%s:%d: not a name: %s" % (
            mod.relpath, expr.lineno, ast.unparse(expr)))

    # --- classes ---------------------------------------------------------------------

    def class_bases(self, ref):
        out = []
        for b in ref.node.bases:
            try:
                r = self.resolve_expr(ref.mod, b)
            except ExtractError:
                continue
            if isinstance(r, Ref):
                out.append(r)
        return out

    def is_dataclass(self, ref):
        for d in ref.node.decorator_list:
            target = d.func if isinstance(d, ast.Call) else d
            try:
                r = self.resolve_expr(ref.mod, target)
            except ExtractError:
                continue
            if isinstance(r, Ref) and r.qual in ("dataclasses.dataclass",
                                                 "pydantic.dataclasses.dataclass"):
                return True
        return False

    def is_enum(self, ref):
        for b in self.class_bases(ref):
            if b.kind == "external" and b.qual in ("enum.Enum", "enum.IntEnum", "enum.StrEnum"):
                return True
            if b.kind == "class" and self.is_enum(b):
                return True
        return False

    def enum_members(self, ref):
        out = []
        auto = 0
        for st in ref.node.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(
                    st.targets[0], ast.Name):
                name = st.targets[0].id
                if isinstance(st.value, ast.Constant):
                    value = st.value.value
                elif isinstance(st.value, ast.Call) and ast.unparse(st.value.func) in (
                        "enum.auto", "auto"):
                    auto += 1
                    value = auto
                else:
                    value = Unknown(ast.unparse(st.value))
                out.append(EnumMember(ref.node.name, name, value))
        return out

    def find_method(self, ref, name):
        for st in ref.node.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == name:
                return ref, st
        for b in self.class_bases(ref):
            if b.kind == "class":
                found = self.find_method(b, name)
                if found:
                    return found
        return None

    def dataclass_fields(self, ref):
        """Fields in dataclasses.fields() order: inherited dataclass fields first."""
        fields = []
        for b in self.class_bases(ref):
            if b.kind == "class" and self.is_dataclass(b):
                fields.extend(self.dataclass_fields(b))
        body = ref.node.body
        for i, st in enumerate(body):
            if not (isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name)):
                continue
            ann = st.annotation
            head = ann.value if isinstance(ann, ast.Subscript) else ann
            try:
                r = self.resolve_expr(ref.mod, head)
                if isinstance(r, Ref) and TYPING_SPECIALS.get(r.qual) == "ClassVar":
                    continue
            except ExtractError:
                pass
            doc = None
            if i + 1 < len(body):
                nxt = body[i + 1]
                if (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                        and isinstance(nxt.value.value, str)):
                    doc = inspect.cleandoc(nxt.value.value)
            name = st.target.id
            fields = [f for f in fields if f["name"] != name]
            fields.append({"name": name, "annotation": ann, "value": st.value,
                           "node": st, "owner": ref, "doc": doc})
        return fields


# ----------------------------------------------------------------------------------
# Type evaluation (what `dataclasses.fields(cls)[i].type` is at run time)
# ----------------------------------------------------------------------------------

def eval_type(src, mod, expr):
    if isinstance(expr, ast.Constant):
        if expr.value is None:
            return ("none",)
        if isinstance(expr.value, str):
            return ("forwardref", expr.value)
        if expr.value is Ellipsis:
            return ("ellipsis",)
        raise ExtractError("%s: unexpected constant in type %r" % (mod.relpath, expr.value))
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return ("union", (eval_type(src, mod, expr.left), eval_type(src, mod, expr.right)))
    if isinstance(expr, ast.Subscript):
        head = src.resolve_expr(mod, expr.value)
        special = None
        if isinstance(head, Ref):
            special = TYPING_SPECIALS.get(head.qual) or (
                head.qual if head.kind == "builtin" else None)
        sl = expr.slice
        elts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        if special == "Optional":
            return ("union", (eval_type(src, mod, elts[0]), ("none",)))
        if special == "Union":
            return ("union", tuple(eval_type(src, mod, e) for e in elts))
        if special == "Literal":
            vals = []
            for e in elts:
                if isinstance(e, ast.Constant):
                    vals.append(e.value)
                else:
                    t = eval_type(src, mod, e)
                    if t[0] != "literal":
                        raise ExtractError("Literal of non-literal in %s" % mod.relpath)
                    vals.extend(t[1])
            return ("literal", tuple(vals))
        if special == "Annotated":
            return ("annotated", eval_type(src, mod, elts[0]))
        if special == "ClassVar":
            return ("classvar", eval_type(src, mod, elts[0]))
        if special == "Callable":
            return ("callable",)
        if special in ("list", "dict", "tuple", "type", "set", "frozenset"):
            return ("generic", special, tuple(eval_type(src, mod, e) for e in elts))
        # A user generic such as SomeClass[int]: behaves as the class itself.
        return eval_type(src, mod, expr.value)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        r = src.resolve_expr(mod, expr)
        if r is None:
            return ("none",)
        if isinstance(r, tuple) and r[0] == "alias":
            return eval_type(src, r[1], r[2])
        if r.kind == "builtin":
            return ("builtin", r.qual)
        if r.kind == "external":
            special = TYPING_SPECIALS.get(r.qual)
            if special == "Any":
                return ("any",)
            if special == "Callable":
                return ("callable",)
            if special in ("list", "dict", "tuple", "type", "set"):
                return ("generic", special, ())
            return ("class", r.qual)
        if r.kind == "class":
            if src.is_dataclass(r):
                return ("dataclass", r.qual)
            if src.is_enum(r):
                return ("enum", r.qual)
            return ("class", r.qual)
        raise ExtractError("%s:%d: %s is not a type" % (mod.relpath, expr.lineno,
                                                         ast.unparse(expr)))
    raise ExtractError("%s:%d: unsupported type expression %s" % (
        mod.relpath, expr.lineno, ast.unparse(expr)))


def type_hints(t):
    """vllm.engine.arg_utils.get_type_hints: unwrap Annotated, flatten Union."""
    if t[0] == "annotated":
        return type_hints(t[1])
    if t[0] == "union":
        out = []
        for a in t[1]:
            for h in type_hints(a):
                if h not in out:
                    out.append(h)
        return out
    return [t]


def is_type(th, name):
    if name == "Literal":
        return th[0] == "literal"
    return th == ("builtin", name) or (th[0] == "generic" and th[1] == name)


def contains_type(hints, name):
    return any(is_type(th, name) for th in hints)


def get_type(hints, name):
    return next((th for th in hints if is_type(th, name)), None)


def is_not_builtin(th):
    return th[0] not in ("builtin", "generic", "none")


def literal_to_kwargs(hints):
    lit = get_type(hints, "Literal")
    options = list(lit[1])
    if len({type(o) for o in options}) != 1:
        raise ExtractError("mixed Literal types %r" % (options,))
    kwarg = "metavar" if contains_type(hints, "str") else "choices"
    tname = type(options[0]).__name__
    return {"type": TypeFn(tname), kwarg: sorted(options)}


def pretty_type(t):
    k = t[0]
    if k == "builtin":
        return t[1]
    if k == "none":
        return "None"
    if k == "any":
        return "Any"
    if k == "literal":
        return "Literal[%s]" % ", ".join(repr(v) for v in t[1])
    if k == "union":
        return "Union[%s]" % ", ".join(pretty_type(a) for a in t[1])
    if k == "annotated":
        return pretty_type(t[1])
    if k == "generic":
        return "%s[%s]" % (t[1], ", ".join(pretty_type(a) for a in t[2])) if t[2] else t[1]
    if k in ("dataclass", "enum", "class"):
        return t[1].split(".")[-1]
    if k == "forwardref":
        return "'%s'" % t[1]
    if k == "callable":
        return "Callable"
    return k


# ----------------------------------------------------------------------------------
# Static evaluator for the small set of expressions the CLI code uses
# ----------------------------------------------------------------------------------

class Evaluator:
    def __init__(self, src):
        self.src = src

    def value_of_ref(self, r):
        if isinstance(r, tuple) and r[0] == "alias":
            return self.eval(r[1], r[2])
        return r

    def class_attr(self, ref, attr):
        src = self.src
        if attr == "__doc__":
            return ast.get_docstring(ref.node)
        if src.is_enum(ref):
            for m in src.enum_members(ref):
                if m.name == attr:
                    return m
        for f in src.dataclass_fields(ref):
            if f["name"] == attr:
                return self.field_default(f)
        for st in ref.node.body:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name) and t.id == attr:
                        return self.eval(ref.mod, st.value)
        for b in src.class_bases(ref):
            if b.kind == "class":
                try:
                    return self.class_attr(b, attr)
                except ExtractError:
                    pass
        raise ExtractError("%s has no attribute %s" % (ref.qual, attr))

    def field_spec(self, f):
        """FieldSpec for a dataclass field (default / default_factory / MISSING)."""
        mod = f["owner"].mod
        v = f["value"]
        if v is None:
            return FieldSpec()
        if isinstance(v, ast.Call):
            fn = self.eval(mod, v.func)
            if isinstance(fn, Ref) and fn.qual in ("dataclasses.field", "pydantic.Field"):
                kw = {k.arg: k.value for k in v.keywords}
                if "default" in kw:
                    return FieldSpec(default=self.eval(mod, kw["default"]), has_default=True)
                if "default_factory" in kw:
                    return FieldSpec(factory=(mod, kw["default_factory"]))
                return FieldSpec()
        val = self.eval(mod, v)
        if isinstance(val, FieldSpec):
            return val
        return FieldSpec(default=val, has_default=True)

    def field_default(self, f):
        spec = self.field_spec(f)
        return self.realise(spec)

    def realise(self, spec):
        if spec.has_default:
            return spec.default
        if spec.factory is not None:
            mod, expr = spec.factory
            fn = self.eval(mod, expr)
            if isinstance(fn, Ref):
                if fn.kind == "builtin" and fn.qual in ("dict", "list", "set", "tuple"):
                    return {"dict": {}, "list": [], "set": [], "tuple": []}[fn.qual]
                if fn.kind == "lambda":
                    return self.eval(fn.mod, fn.node.body)
                if fn.kind == "class":
                    return Unknown("%s()" % fn.node.name)
            return Unknown(ast.unparse(expr) + "()")
        return Unknown("MISSING")

    def eval(self, mod, e, env=None):
        ev = lambda x: self.eval(mod, x, env)  # noqa: E731
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, (ast.List, ast.Tuple, ast.Set)):
            vals = [ev(x) for x in e.elts]
            return tuple(vals) if isinstance(e, ast.Tuple) else vals
        if isinstance(e, ast.Dict):
            return {ev(k): ev(v) for k, v in zip(e.keys, e.values)}
        if isinstance(e, ast.UnaryOp):
            v = ev(e.operand)
            if isinstance(v, Unknown):
                return v
            if isinstance(e.op, ast.Not):
                return not v
            if isinstance(e.op, ast.USub):
                return -v
            return Unknown(ast.unparse(e))
        if isinstance(e, ast.BinOp):
            a, b = ev(e.left), ev(e.right)
            if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
                if isinstance(a, list) and isinstance(b, list) and isinstance(e.op, ast.Add):
                    return a + b
                return Unknown(ast.unparse(e))
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Pow: lambda: a ** b, ast.FloorDiv: lambda: a // b,
                   ast.Div: lambda: a / b}
            return ops[type(e.op)]() if type(e.op) in ops else Unknown(ast.unparse(e))
        if isinstance(e, ast.BoolOp):
            vals = [ev(x) for x in e.values]
            if any(isinstance(v, Unknown) for v in vals):
                return Unknown(ast.unparse(e))
            return all(vals) if isinstance(e.op, ast.And) else any(vals)
        if isinstance(e, ast.Compare) and len(e.ops) == 1:
            a, b = ev(e.left), ev(e.comparators[0])
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return Unknown(ast.unparse(e))
            op = e.ops[0]
            if isinstance(op, ast.In):
                return a in b
            if isinstance(op, ast.NotIn):
                return a not in b
            if isinstance(op, ast.Eq):
                return a == b
            if isinstance(op, ast.NotEq):
                return a != b
            return Unknown(ast.unparse(e))
        if isinstance(e, ast.IfExp):
            t = ev(e.test)
            if isinstance(t, Unknown):
                return Unknown(ast.unparse(e))
            return ev(e.body) if t else ev(e.orelse)
        if isinstance(e, ast.Name):
            if env is not None and e.id in env:
                return env[e.id]
            r = self.src.resolve(mod, e.id)
            return self.value_of_ref(r)
        if isinstance(e, ast.Attribute):
            return self.attr(mod, ev(e.value), e.attr, e)
        if isinstance(e, ast.Subscript):
            base = ev(e.value)
            key = ev(e.slice)
            if isinstance(base, (dict, list, tuple)) and not isinstance(key, Unknown):
                try:
                    return base[key]
                except (KeyError, IndexError, TypeError):
                    raise ExtractError("%s:%d: %s has no key %r" % (
                        mod.relpath, e.lineno, ast.unparse(e.value), key))
            return Unknown(ast.unparse(e))
        if isinstance(e, ast.JoinedStr):
            out = []
            for part in e.values:
                if isinstance(part, ast.Constant):
                    out.append(part.value)
                else:
                    v = ev(part.value)
                    if isinstance(v, Unknown):
                        return Unknown(ast.unparse(e))
                    out.append(str(v))
            return "".join(out)
        if isinstance(e, (ast.ListComp, ast.GeneratorExp)):
            if len(e.generators) != 1 or e.generators[0].ifs:
                return Unknown(ast.unparse(e))
            g = e.generators[0]
            seq = self.iterate(ev(g.iter))
            if isinstance(seq, Unknown):
                return seq
            out = []
            for item in seq:
                env2 = dict(env or {})
                self.bind(g.target, item, env2)
                out.append(self.eval(mod, e.elt, env2))
            return out
        if isinstance(e, ast.Lambda):
            return Ref("lambda", "<lambda>", mod, e)
        if isinstance(e, ast.Call):
            return self.call(mod, e, env)
        return Unknown(ast.unparse(e))

    def bind(self, target, value, env):
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t, v in zip(target.elts, value):
                self.bind(t, v, env)
        else:
            raise ExtractError("unsupported loop target %s" % ast.unparse(target))

    def iterate(self, v):
        if isinstance(v, (list, tuple)):
            return list(v)
        if isinstance(v, dict):
            return list(v.keys())
        if isinstance(v, Ref) and v.kind == "class" and self.src.is_enum(v):
            return self.src.enum_members(v)
        return Unknown("iterate(%r)" % (v,))

    def attr(self, mod, base, attr, node):
        src = self.src
        if isinstance(base, Unknown):
            return Unknown("%s.%s" % (base.text, attr))
        if isinstance(base, Ref):
            if base.kind == "module":
                if base.qual == "vllm.envs":
                    return EnvDefault(attr)
                return self.value_of_ref(src.resolve_in_module(base.qual, attr))
            if base.kind == "external":
                q = base.qual + "." + attr
                if base.qual == "ssl" and re.fullmatch(r"CERT_[A-Z]+", attr):
                    import ssl  # standard library constant, not vLLM code
                    return int(getattr(ssl, attr))
                return Ref("external", q)
            if base.kind == "class":
                reg = self.registry(base, attr)
                if reg is not None:
                    return reg
                return self.class_attr(base, attr)
        if isinstance(base, EnumMember):
            if attr == "value":
                return base.value
            if attr == "name":
                return base.name
        if isinstance(base, (str, dict, list)):
            return BoundMethod(base, attr)
        return Unknown("%s.%s" % (ast.unparse(node.value), attr))

    def registry(self, cls_ref, attr):
        """Class-level dict filled by `@Cls.register_module(name)` decorators of the
        modules that the class's package imports (ReasoningParserManager, ...)."""
        for st in cls_ref.node.body:
            target = None
            if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                target = st.target.id
            elif isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
                target = st.targets[0].id
            if target == attr and st.value is not None and isinstance(st.value, ast.Dict) \
                    and not st.value.keys:
                break
        else:
            return None
        if not any(isinstance(s, ast.FunctionDef) and s.name == "register_module"
                   for s in cls_ref.node.body):
            return None
        pkg = cls_ref.mod.package_for_relative(1)
        init = self.src.module(pkg)
        names = []
        for st in init.tree.body:
            if not isinstance(st, ast.ImportFrom):
                continue
            base = st.module if st.level == 0 else ".".join(
                p for p in [init.package_for_relative(st.level), st.module or ""] if p)
            if not base.startswith(pkg) or not self.src.relpath(base):
                continue
            m = self.src.module(base)
            for node in m.tree.body:
                if not isinstance(node, ast.ClassDef):
                    continue
                # decorators apply bottom-up
                for d in reversed(node.decorator_list):
                    if (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                            and d.func.attr == "register_module"
                            and isinstance(d.func.value, ast.Name)
                            and d.func.value.id == cls_ref.node.name):
                        arg = d.args[0] if d.args else next(
                            (k.value for k in d.keywords if k.arg == "name"), None)
                        val = self.eval(m, arg) if arg is not None else node.name
                        for n in (val if isinstance(val, list) else [val]):
                            if n not in names:
                                names.append(n)
        return dict.fromkeys(names)

    def call(self, mod, e, env):
        fn = self.eval(mod, e.func, env)
        args = [self.eval(mod, a, env) for a in e.args if not isinstance(a, ast.Starred)]
        kwargs = {k.arg: self.eval(mod, k.value, env) for k in e.keywords if k.arg}
        text = ast.unparse(e)
        if isinstance(fn, BoundMethod):
            o = fn.obj
            if isinstance(o, str) and fn.name in ("replace", "join", "lower", "upper",
                                                  "strip", "split"):
                if fn.name == "join":
                    seq = args[0]
                    if isinstance(seq, Unknown):
                        return seq
                    return o.join(seq)
                return getattr(o, fn.name)(*args)
            if isinstance(o, dict) and fn.name in ("items", "keys", "values"):
                return list(getattr(o, fn.name)())
            return Unknown(text)
        if isinstance(fn, Ref):
            q = fn.qual
            if fn.kind == "builtin":
                if q in ("int", "float", "str", "bool") and args and not isinstance(
                        args[0], Unknown):
                    try:
                        return {"int": int, "float": float, "str": str, "bool": bool}[q](args[0])
                    except (TypeError, ValueError):
                        return Unknown(text)
                if q == "list" and args:
                    seq = self.iterate(args[0])
                    return seq if isinstance(seq, Unknown) else list(seq)
                if q == "sorted" and args and isinstance(args[0], list):
                    return sorted(args[0])
                return Unknown(text)
            if q in ("dataclasses.field", "pydantic.Field"):
                if "default" in kwargs:
                    return FieldSpec(default=kwargs["default"], has_default=True)
                for k in e.keywords:
                    if k.arg == "default_factory":
                        return FieldSpec(factory=(mod, k.value))
                return FieldSpec()
            if q in ("typing.cast",):
                return args[1]
            if q == "typing.get_args":
                t = eval_type(self.src, mod, e.args[0])
                if t[0] == "literal":
                    return tuple(t[1])
                return Unknown(text)
            if q == "itertools.permutations":
                seq = args[0]
                r = kwargs.get("r", args[1] if len(args) > 1 else None)
                return [tuple(p) for p in itertools.permutations(list(seq), r)]
            if q == "json.loads" and args and isinstance(args[0], str):
                return json.loads(args[0])
            if fn.kind == "function":
                name = fn.node.name
                if name == "get_field":
                    cls = args[0]
                    fname = args[1]
                    for f in self.src.dataclass_fields(cls):
                        if f["name"] == fname:
                            return self.field_spec(f)
                    raise ExtractError("get_field: %s has no field %s" % (cls.qual, fname))
                if name in ("optional_type", "parse_type"):
                    inner = self.type_fn(args[0])
                    return TypeFn(name, inner) if name == "optional_type" else inner
            if fn.kind == "class":
                return Unknown(text)
        return Unknown(text)

    def type_fn(self, v):
        """Normalise an argparse `type=` value."""
        if isinstance(v, TypeFn):
            return v
        if isinstance(v, Ref):
            if v.kind == "builtin":
                return TypeFn(v.qual)
            if v.kind == "external":
                return TypeFn(v.qual)
            return TypeFn(v.qual.split(".")[-1])
        raise ExtractError("unsupported type= value %r" % (v,))


# ----------------------------------------------------------------------------------
# get_kwargs re-implementation (vllm/engine/arg_utils.py, _compute_kwargs)
# ----------------------------------------------------------------------------------

def find_function(mod, name):
    for st in mod.tree.body:
        if isinstance(st, ast.FunctionDef) and st.name == name:
            return st
    raise ExtractError("%s: function %s not found" % (mod.relpath, name))


def human_readable_int_names(arg_utils):
    fn = find_function(arg_utils, "_compute_kwargs")
    for node in ast.walk(fn):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "human_readable_ints"):
            return {c.value for c in node.value.elts}
    raise ExtractError("human_readable_ints not found in _compute_kwargs")


def logic_fingerprint(arg_utils):
    parts = [ast.dump(find_function(arg_utils, n), include_attributes=False)
             for n in ("_compute_kwargs", "literal_to_kwargs", "get_type_hints",
                       "is_not_builtin", "contains_type", "is_type")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class KwargsBuilder:
    def __init__(self, src, ev):
        self.src, self.ev = src, ev
        self.arg_utils = src.module("vllm.engine.arg_utils")
        self.human_readable = human_readable_int_names(self.arg_utils)
        self.cache = {}

    def compute(self, cls_ref):
        if cls_ref.qual in self.cache:
            return copy.deepcopy(self.cache[cls_ref.qual])
        src, ev = self.src, self.ev
        out = {}
        for f in src.dataclass_fields(cls_ref):
            mod = f["owner"].mod
            t = eval_type(src, mod, f["annotation"])
            hints = type_hints(t)
            dataclass_cls = next((h for h in hints if h[0] == "dataclass"), None)
            spec = ev.field_spec(f)
            default = ev.realise(spec)
            name = f["name"]
            kw = {"default": default, "help": (f["doc"] or "").strip()}
            extra_help = []
            if dataclass_cls is not None:
                kw["type"] = TypeFn("parse_dataclass", dataclass_cls[1].split(".")[-1])
                extra_help.append("json_tip")
            elif contains_type(hints, "bool"):
                kw["action"] = "BooleanOptionalAction"
            elif contains_type(hints, "Literal"):
                kw.update(literal_to_kwargs(hints))
            elif contains_type(hints, "tuple"):
                th = get_type(hints, "tuple")
                types = th[2]
                tuple_type = types[0]
                kw["type"] = self.scalar_typefn(tuple_type)
                kw["nargs"] = "+" if ("ellipsis",) in types else len(types)
            elif contains_type(hints, "list"):
                th = get_type(hints, "list")
                list_type = th[2][0] if th[2] else ("any",)
                if list_type[0] == "union":
                    if ("builtin", "str") not in list_type[1]:
                        raise ExtractError("List type must contain str if it is a Union.")
                    list_type = ("builtin", "str")
                if list_type[0] == "literal":
                    kw.update(literal_to_kwargs([list_type]))
                else:
                    kw["type"] = self.scalar_typefn(list_type)
                kw["nargs"] = "+"
            elif contains_type(hints, "int"):
                kw["type"] = TypeFn("int")
                if name in self.human_readable:
                    kw["type"] = TypeFn("human_readable_int")
                    extra_help.append("human_readable_int")
            elif contains_type(hints, "float"):
                kw["type"] = TypeFn("float")
            elif contains_type(hints, "dict") and (contains_type(hints, "str") or any(
                    is_not_builtin(h) for h in hints)):
                kw["type"] = TypeFn("union_dict_and_str")
            elif contains_type(hints, "dict"):
                kw["type"] = TypeFn("json.loads")
                extra_help.append("json_tip")
            elif contains_type(hints, "str") or any(is_not_builtin(h) for h in hints):
                kw["type"] = TypeFn("str")
            else:
                raise ExtractError("Unsupported type %s for argument %s" % (hints, name))
            if ("none",) in hints and not contains_type(hints, "bool"):
                kw["type"] = TypeFn("optional_type", kw["type"])
                if kw.get("choices"):
                    kw["choices"].append("None")
            kw["__meta__"] = {
                "config_field": "%s.%s" % (cls_ref.node.name, name),
                "field_source": mod.line_of(f["node"]),
                "field_type": ast.unparse(f["annotation"]),
                "resolved_type": pretty_type(t),
                "extra_help": extra_help,
            }
            out[name] = kw
        self.cache[cls_ref.qual] = out
        return copy.deepcopy(out)

    def scalar_typefn(self, t):
        if t[0] == "builtin":
            return TypeFn(t[1])
        if t[0] == "dataclass":
            return TypeFn(t[1].split(".")[-1])
        return TypeFn(pretty_type(t))


# ----------------------------------------------------------------------------------
# Interpreter for the add_cli_args / make_arg_parser functions
# ----------------------------------------------------------------------------------

class ParserModel:
    def __init__(self):
        self.groups = [{"title": "positional arguments"}, {"title": "options"}]
        self.actions = []
        self.ignored_calls = []


class CliInterpreter:
    def __init__(self, src, ev, kb):
        self.src, self.ev, self.kb = src, ev, kb
        self.model = ParserModel()

    def run_function(self, mod, fn, parser_param="parser", env=None, conditions=()):
        env = dict(env or {})
        env[parser_param] = ParserRef()
        # bind defaults of keyword parameters (async_args_only=False, ...)
        a = fn.args
        params = a.args[len(a.args) - len(a.defaults):] if a.defaults else []
        for p, d in zip(params, a.defaults):
            if p.arg not in env:
                env[p.arg] = self.ev.eval(mod, d)
        self.exec_body(mod, fn.body, env, list(conditions))

    def exec_body(self, mod, body, env, conditions):
        for st in body:
            if isinstance(st, ast.Return):
                return True
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
                continue  # docstring
            if isinstance(st, (ast.Import, ast.ImportFrom)):
                self.exec_import(mod, st, env)
            elif isinstance(st, ast.Assign):
                self.exec_assign(mod, st, env, conditions)
            elif isinstance(st, ast.AugAssign):
                container, key = self.subscript_target(mod, st.target, env)
                value = self.ev.eval(mod, st.value, env)
                container[key] = container[key] + value
            elif isinstance(st, ast.Delete):
                for t in st.targets:
                    container, key = self.subscript_target(mod, t, env)
                    del container[key]
            elif isinstance(st, ast.If):
                test = self.ev.eval(mod, st.test, env)
                if isinstance(test, Unknown):
                    self.exec_body(mod, st.body, env,
                                   conditions + ["if %s" % ast.unparse(st.test)])
                elif test:
                    if self.exec_body(mod, st.body, env, conditions):
                        return True
                else:
                    if self.exec_body(mod, st.orelse, env, conditions):
                        return True
            elif isinstance(st, ast.For):
                seq = self.ev.iterate(self.ev.eval(mod, st.iter, env))
                if isinstance(seq, Unknown):
                    raise ExtractError("%s: cannot iterate %s" % (
                        mod.line_of(st), ast.unparse(st.iter)))
                for item in seq:
                    self.ev.bind(st.target, item, env)
                    self.exec_body(mod, st.body, env, conditions)
            elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
                self.exec_call(mod, st.value, env, conditions)
            else:
                raise ExtractError("%s: unsupported statement %s" % (
                    mod.line_of(st), ast.unparse(st)[:80]))
        return False

    def exec_import(self, mod, st, env):
        if isinstance(st, ast.ImportFrom):
            base = st.module if st.level == 0 else ".".join(
                p for p in [mod.package_for_relative(st.level), st.module or ""] if p)
            for a in st.names:
                env[a.asname or a.name] = self.ev.value_of_ref(
                    self.src.resolve_in_module(base, a.name))
        else:
            for a in st.names:
                env[a.asname or a.name.split(".")[0]] = self.src.module_ref(
                    a.name if a.asname else a.name.split(".")[0])

    def subscript_target(self, mod, t, env):
        if not isinstance(t, ast.Subscript):
            raise ExtractError("%s: unsupported target %s" % (mod.line_of(t), ast.unparse(t)))
        container = self.ev.eval(mod, t.value, env)
        key = self.ev.eval(mod, t.slice, env)
        if not isinstance(container, dict):
            raise ExtractError("%s: %s is not a dict" % (mod.line_of(t), ast.unparse(t.value)))
        return container, key

    def exec_assign(self, mod, st, env, conditions):
        t = st.targets[0]
        v = st.value
        if isinstance(t, ast.Subscript):
            container, key = self.subscript_target(mod, t, env)
            container[key] = self.ev.eval(mod, v, env)
            return
        if not isinstance(t, ast.Name):
            raise ExtractError("%s: unsupported assignment" % mod.line_of(st))
        if isinstance(v, ast.Call):
            fn = v.func
            if isinstance(fn, ast.Name) and fn.id == "get_kwargs":
                cls = self.ev.eval(mod, v.args[0], env)
                env[t.id] = self.kb.compute(cls)
                return
            if isinstance(fn, ast.Attribute) and fn.attr == "add_argument_group":
                kw = {k.arg: self.ev.eval(mod, k.value, env) for k in v.keywords}
                title = kw.get("title", self.ev.eval(mod, v.args[0], env) if v.args else None)
                self.model.groups.append({"title": title, "source": mod.line_of(v)})
                env[t.id] = GroupRef(len(self.model.groups) - 1)
                return
            if isinstance(fn, ast.Attribute) and fn.attr == "add_cli_args":
                self.call_add_cli_args(mod, v, env, conditions)
                env[t.id] = ParserRef()
                return
        env[t.id] = self.ev.eval(mod, v, env)

    def call_add_cli_args(self, mod, call, env, conditions):
        owner = self.ev.eval(mod, call.func.value, env)
        if not (isinstance(owner, Ref) and owner.kind == "class"):
            raise ExtractError("%s: add_cli_args on %s" % (mod.line_of(call),
                                                            ast.unparse(call.func.value)))
        found = self.src.find_method(owner, "add_cli_args")
        if not found:
            raise ExtractError("%s has no add_cli_args" % owner.qual)
        cls, fn = found
        self.run_function(cls.mod, fn, fn.args.args[0].arg, conditions=conditions)

    def exec_call(self, mod, call, env, conditions):
        fn = call.func
        if isinstance(fn, ast.Attribute) and fn.attr == "add_argument":
            target = env.get(fn.value.id) if isinstance(fn.value, ast.Name) else None
            if isinstance(target, GroupRef):
                self.add_argument(mod, call, env, target.index, conditions)
                return
            if isinstance(target, ParserRef):
                self.add_argument(mod, call, env, 1, conditions)
                return
        if isinstance(fn, ast.Attribute) and fn.attr == "add_cli_args":
            self.call_add_cli_args(mod, call, env, conditions)
            return
        self.model.ignored_calls.append("%s: %s" % (mod.line_of(call), ast.unparse(call)))

    def add_argument(self, mod, call, env, group_index, conditions):
        names = [self.ev.eval(mod, a, env) for a in call.args]
        kwargs = {}
        meta = {}
        for k in call.keywords:
            val = self.ev.eval(mod, k.value, env)
            if k.arg is None:
                if not isinstance(val, dict):
                    raise ExtractError("%s: ** of non-dict" % mod.line_of(call))
                val = copy.deepcopy(val)
                meta = val.pop("__meta__", {})
                for kk, vv in val.items():
                    if kk in kwargs:
                        raise ExtractError("%s: duplicate kwarg %s" % (mod.line_of(call), kk))
                    kwargs[kk] = vv
            else:
                if k.arg in kwargs:
                    raise ExtractError("%s: duplicate kwarg %s" % (mod.line_of(call), k.arg))
                kwargs[k.arg] = val
        for key in ("type",):
            if key in kwargs and not isinstance(kwargs[key], TypeFn):
                kwargs[key] = self.ev.type_fn(kwargs[key])
        if "action" in kwargs:
            a = kwargs["action"]
            if isinstance(a, Ref):
                kwargs["action"] = ("BooleanOptionalAction"
                                    if a.qual == "argparse.BooleanOptionalAction"
                                    else "custom:" + a.qual.split(".")[-1])
        self.model.actions.append({
            "names": names, "kwargs": kwargs, "meta": meta, "group": group_index,
            "source": mod.line_of(call), "conditions": list(conditions),
            "order": len(self.model.actions),
        })


# ----------------------------------------------------------------------------------
# Catalog assembly
# ----------------------------------------------------------------------------------

def first_sentence(text):
    if not text:
        return ""
    para = re.split(r"\n\s*\n", text.strip())[0]
    para = re.sub(r"\s+", " ", para).strip()
    m = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)[.!?](?=\s|$)", para)
    return para[:m.end()] if m else para


def scalar_kind(tf):
    if tf is None:
        return "string"
    b = tf.base()
    if b.name in ("int", "human_readable_int"):
        return "int"
    if b.name == "float":
        return "float"
    if b.name == "str":
        return "string"
    if b.name in ("json.loads", "parse_dataclass"):
        return "json"
    if b.name == "union_dict_and_str":
        return "json_or_string"
    return "string"


def jsonable(v, env_defaults):
    """Return (json_value, note or None)."""
    if isinstance(v, EnvDefault):
        inner = env_defaults.get(v.name)
        return inner, "from environment variable %s (value when unset)" % v.name
    if isinstance(v, EnumMember):
        return v.value, "enum member %s.%s" % (v.cls, v.name)
    if isinstance(v, Unknown):
        return None, "not representable: %s" % v.text
    if isinstance(v, FieldSpec):
        return None, "not representable"
    if v is None or isinstance(v, (bool, int, float, str)):
        return v, None
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            j, note = jsonable(x, env_defaults)
            if note:
                return None, "not representable: %r" % (v,)
            out.append(j)
        return out, None
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            j, note = jsonable(x, env_defaults)
            if note or not isinstance(k, str):
                return None, "not representable"
            out[k] = j
        return out, None
    return None, "not representable: %r" % (v,)


def build_flags(src, model, env_defaults):
    # argparse --help order: groups in creation order (positionals, options, then
    # add_argument_group order); SortedHelpFormatter sorts each group's actions by
    # their option_strings list.
    per_group = {}
    for a in model.actions:
        opts = list(a["names"])
        if a["kwargs"].get("action") == "BooleanOptionalAction":
            expanded = []
            for o in opts:
                expanded.append(o)
                if o.startswith("--"):
                    expanded.append("--no-" + o[2:])
            opts = expanded
        a["option_strings"] = opts
        per_group.setdefault(a["group"], []).append(a)
    ordered = []
    for gi in range(len(model.groups)):
        ordered.extend(sorted(per_group.get(gi, []), key=lambda x: x["option_strings"]))

    flags = []
    positionals = []
    for a in ordered:
        kw = a["kwargs"]
        names = a["names"]
        if not names[0].startswith("-"):
            positionals.append({"dest": names[0], "nargs": kw.get("nargs"),
                                "help": first_sentence(kw.get("help", "")),
                                "source": a["source"]})
            continue
        long_names = [n for n in names if n.startswith("--")]
        flag = long_names[0]
        dest = kw.get("dest") or flag[2:].replace("-", "_")
        aliases = [n for n in names if n != flag]
        action = kw.get("action")
        tf = kw.get("type")
        nargs = kw.get("nargs")
        item_kind = None
        if action == "BooleanOptionalAction":
            kind = "bool_pair"
        elif action == "store_true":
            kind = "store_true"
        elif action == "append":
            kind = "append"
            item_kind = scalar_kind(tf)
        elif nargs in ("+", "*") or isinstance(nargs, int):
            kind = "list"
            item_kind = scalar_kind(tf)
        else:
            kind = scalar_kind(tf)
        if action == "store_true":
            raw_default = kw.get("default", False)
        else:
            raw_default = kw.get("default", None)
        default, default_note = jsonable(raw_default, env_defaults)
        deprecated = False
        if kw.get("deprecated"):
            help_text = kw.get("help", "") or ""
            deprecated = (first_sentence(help_text) if help_text.startswith("[DEPRECATED]")
                          else "deprecated (add_argument(..., deprecated=True) at %s; vLLM "
                               "warns \"argument '%s' is deprecated\" when it is set)"
                               % (a["source"], dest))
        choices = kw.get("choices")
        if choices is not None:
            choices = list(choices)
        metavar_values = kw.get("metavar") if isinstance(kw.get("metavar"), list) else None
        meta = a["meta"]
        help_full = (kw.get("help") or "").replace("%%", "%")
        entry = {
            "dest": dest,
            "flag": flag,
            "aliases": aliases,
            "group": model.groups[a["group"]]["title"],
            "kind": kind,
            "nargs": nargs if nargs is not None else None,
            "item_kind": item_kind,
            "choices": choices,
            "default": default,
            "deprecated": deprecated,
            "human_readable": bool(tf is not None and tf.base().name == "human_readable_int"),
            "help_order": None,
            "help": first_sentence(help_full),
        }
        # --- additional fields ---
        if kind == "bool_pair":
            entry["negative_flag"] = "--no-" + flag[2:]
        entry["parser"] = repr(tf) if tf is not None else None
        entry["accepts_none"] = bool(tf is not None and tf.name == "optional_type")
        if "const" in kw:
            entry["const"] = kw["const"]
        if metavar_values is not None:
            entry["suggested_values"] = metavar_values
        elif isinstance(kw.get("metavar"), str):
            entry["metavar"] = kw["metavar"]
            m = re.match(r"\{([^{}]*)\}", kw["metavar"])
            if m:
                entry["suggested_values"] = m.group(1).split(",")
        if action and action.startswith("custom:"):
            entry["action"] = action[len("custom:"):]
        if default_note:
            entry["default_note"] = default_note
        if meta.get("config_field"):
            entry["config_field"] = meta["config_field"]
            entry["field_type"] = meta["field_type"]
            entry["field_source"] = meta["field_source"]
        entry["source"] = a["source"]
        if a["conditions"]:
            entry["registered_only"] = a["conditions"]
        flags.append(entry)
    for i, f in enumerate(flags):
        f["help_order"] = i
    return flags, positionals


# ----------------------------------------------------------------------------------
# Quantization methods
# ----------------------------------------------------------------------------------

def quantization_methods(src, ev):
    qmod = src.module("vllm.model_executor.layers.quantization")
    lit = eval_type(src, qmod, qmod.defs["QuantizationMethods"][1])
    names = list(lit[1])
    fn = find_function(qmod, "get_quantization_config")
    imports = {}
    mapping = None
    for node in ast.walk(fn):
        if isinstance(node, ast.ImportFrom):
            base = node.module if node.level == 0 else ".".join(
                p for p in [qmod.package_for_relative(node.level), node.module or ""] if p)
            for a in node.names:
                imports[a.asname or a.name] = (base, a.name)
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id == "method_to_config"):
            mapping = node.value
    if mapping is None:
        raise ExtractError("method_to_config not found")
    cls_of = {k.value: v.id for k, v in zip(mapping.keys, mapping.values)}
    out = []
    for name in names:
        cname = cls_of.get(name)
        entry = {"name": name, "min_capability": None, "config_class": cname,
                 "source_file": None}
        if cname is None:
            entry["note"] = "no entry in get_quantization_config's method_to_config"
            out.append(entry)
            continue
        base, attr = imports[cname]
        ref = src.resolve_in_module(base, attr)
        entry["source_file"] = ref.mod.relpath
        found = src.find_method(ref, "get_min_capability")
        if not found:
            entry["note"] = "get_min_capability not found"
        else:
            owner, m = found
            body = [s for s in m.body if not (isinstance(s, ast.Expr) and isinstance(
                s.value, ast.Constant) and isinstance(s.value.value, str))]
            where = "%s:%d" % (owner.mod.relpath, m.lineno)
            entry["min_capability_source"] = where
            literal = None
            if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value:
                try:
                    literal = ast.literal_eval(body[0].value)
                except ValueError:
                    literal = None
            if isinstance(literal, int) and not isinstance(literal, bool):
                entry["min_capability"] = literal
                if literal < 0:
                    entry["note"] = "negative: no CUDA capability requirement (non-CUDA method)"
            elif body and isinstance(body[0], ast.Raise):
                entry["note"] = "get_min_capability raises (%s)" % (
                    ast.unparse(body[0].exc).split("(")[0] if body[0].exc else "raise")
            else:
                entry["note"] = "get_min_capability is not a literal return"
            if owner.qual != ref.qual:
                entry["min_capability_inherited_from"] = owner.node.name
        out.append(entry)
    return out


# ----------------------------------------------------------------------------------
# Environment variables (vllm/envs.py)
# ----------------------------------------------------------------------------------

def _getenv_call(node):
    """Match os.getenv(NAME[, DEFAULT]) / os.environ.get(...) / os.environ[NAME]."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        f = ast.unparse(node.func)
        if f in ("os.getenv", "os.environ.get") and node.args and isinstance(
                node.args[0], ast.Constant):
            default = node.args[1] if len(node.args) > 1 else None
            return node.args[0].value, default
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" and \
            isinstance(node.slice, ast.Constant):
        return node.slice.value, "REQUIRED"
    return None


def _strip_str_methods(node):
    """Peel .lower()/.upper()/.strip() calls; return (inner, [methods])."""
    methods = []
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
           and node.func.attr in ("lower", "upper", "strip") and not node.args):
        methods.insert(0, node.func.attr)
        node = node.func.value
    return node, methods


def classify_env(body, tc_annotation):
    """Return dict(syntax=..., ...) describing how the value is parsed."""
    info = {}
    node = body
    # `X if "NAME" in os.environ else Y`
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and \
            ast.unparse(node.test.comparators[0]) == "os.environ" and \
            isinstance(node.test.ops[0], ast.In):
        info["when_unset"] = node.orelse
        node = node.body
    elif isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and \
            ast.unparse(node.test.comparators[0]) == "os.environ" and \
            isinstance(node.test.ops[0], ast.NotIn):
        info["when_unset"] = node.body
        node = node.orelse
    # walrus pattern: val if (val := float(...)) > 0 else D
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and \
            isinstance(node.test.left, ast.NamedExpr):
        info["fallback"] = ast.unparse(node.orelse)
        node = node.test.left.value
    call = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        else None
    g = _getenv_call(node)
    if g:
        return dict(info, syntax="string", getenv=g)
    inner, methods = _strip_str_methods(node)
    g = _getenv_call(inner)
    if g and methods:
        return dict(info, syntax="string", getenv=g, transform=methods)
    if call == "bool" and node.args:
        a = node.args[0]
        if isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id == "int":
            g = _getenv_call(a.args[0])
            if g:
                return dict(info, syntax="int_bool", getenv=g)
        if isinstance(a, ast.Compare):
            sub = classify_compare(a)
            if sub:
                return dict(info, **sub)
        g = _getenv_call(a)
        if g:
            return dict(info, syntax="bool_nonempty", getenv=g)
    if call in ("int", "float") and node.args:
        g = _getenv_call(node.args[0])
        if g:
            return dict(info, syntax=call, getenv=g)
    if call == "maybe_convert_int":
        g = _getenv_call(node.args[0])
        if g:
            return dict(info, syntax="int", getenv=g)
    if call == "maybe_convert_bool":
        g = _getenv_call(node.args[0])
        if g:
            return dict(info, syntax="int_bool", getenv=g)
    if isinstance(node, ast.Compare):
        sub = classify_compare(node)
        if sub:
            return dict(info, **sub)
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "os.path.expanduser":
        g = _getenv_call(node.args[0])
        if g:
            return dict(info, syntax="path", getenv=g)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr == "split":
        g = _getenv_call(node.func.value)
        if g:
            return dict(info, syntax="csv_list", getenv=g,
                        separator=node.args[0].value if node.args else None)
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "json.loads":
        g = _getenv_call(node.args[0])
        if g:
            return dict(info, syntax="json", getenv=g)
    return dict(info, syntax="custom")


def classify_compare(node):
    if len(node.ops) != 1:
        return None
    left, methods = _strip_str_methods(node.left)
    g = _getenv_call(left)
    if not g:
        return None
    op = node.ops[0]
    right = node.comparators[0]
    try:
        rv = ast.literal_eval(right)
    except ValueError:
        return None
    if isinstance(op, ast.In):
        return {"syntax": "bool_str", "getenv": g, "true_values": list(rv),
                "transform": methods}
    if isinstance(op, ast.Eq):
        return {"syntax": "bool_str", "getenv": g, "true_values": [rv], "transform": methods}
    if isinstance(op, ast.NotEq):
        return {"syntax": "bool_ne", "getenv": g, "false_values": [rv], "transform": methods}
    return None


def apply_syntax(info, raw):
    """Value vLLM sees for the raw string `raw` (used for the unset default)."""
    s = info["syntax"]
    v = raw
    for m in info.get("transform") or []:
        v = getattr(v, m)()
    if s == "string":
        return v
    if s == "int_bool":
        return bool(int(v))
    if s == "int":
        return int(v)
    if s == "float":
        return float(v)
    if s == "bool_str":
        return v in info["true_values"]
    if s == "bool_ne":
        return v not in info["false_values"]
    if s == "bool_nonempty":
        return bool(v)
    if s == "json":
        return json.loads(v)
    if s == "csv_list":
        return v.split(info["separator"])
    raise ValueError(s)


def env_catalog(src, ev, backends):
    envs = src.module("vllm.envs")
    node = envs.defs["environment_variables"][1]
    tc = {}
    for st in envs.tree.body:
        if isinstance(st, ast.If) and is_type_checking(st.test):
            for s in st.body:
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
                    tc[s.target.id] = ast.unparse(s.annotation)
    out = []
    for k, v in zip(node.keys, node.values):
        name = k.value
        entry = {"name": name}
        comment = []
        ln = k.lineno - 2
        while ln >= 0 and envs.lines[ln].strip().startswith("#"):
            comment.insert(0, envs.lines[ln].strip().lstrip("#").strip())
            ln -= 1
        if isinstance(v, ast.Lambda):
            body = v.body
            info = classify_env(body, tc.get(name))
            entry["parse_expr"] = ast.unparse(body)
        else:
            info = {"syntax": "custom"}
            entry["parse_expr"] = "%s()" % ast.unparse(v)
            fn = envs.defs.get(ast.unparse(v))
            if fn and fn[0] == "def":
                entry["parse_function"] = envs.line_of(fn[1])
            ann = tc.get(name, "")
            if re.fullmatch(r"(Optional\[)?int\]?", ann):
                info["syntax"] = "int"
        syntax = info["syntax"]
        entry["syntax"] = syntax
        for key in ("true_values", "false_values"):
            if key in info:
                entry[key] = info[key]
        if info.get("transform"):
            entry["transform"] = info["transform"]
        g = info.get("getenv")
        default = None
        default_raw = None
        if g:
            read_name, dnode = g
            if read_name != name:
                entry["reads"] = read_name
            if dnode == "REQUIRED":
                dnode = None
            if isinstance(dnode, ast.Constant):
                default_raw = dnode.value
                if isinstance(default_raw, str):
                    try:
                        default = apply_syntax(info, default_raw)
                    except (ValueError, TypeError, json.JSONDecodeError):
                        default = None
                else:
                    default = default_raw
                    if syntax == "bool_nonempty":
                        default = bool(default_raw)
            elif dnode is not None:
                entry["default_expr"] = ast.unparse(dnode)
        if "when_unset" in info:
            w = info["when_unset"]
            try:
                default = ast.literal_eval(w)
            except ValueError:
                default = None
                entry["default_expr"] = ast.unparse(w)
            default_raw = None
        if syntax in ("path", "custom") and "default_expr" not in entry and g is None:
            default = None
        if syntax == "path":
            default = None
            if g and g[1] is not None and not isinstance(g[1], ast.Constant):
                entry["default_expr"] = ast.unparse(g[1])
        entry["default"] = default
        entry["default_raw"] = default_raw
        if name in tc:
            entry["declared_type"] = tc[name]
        entry["source_line"] = k.lineno
        if comment:
            entry["doc"] = " ".join(comment)
            documented = re.findall(r'^- "([A-Za-z0-9_]+)"', "\n".join(comment), re.M)
            if documented:
                entry["documented_values"] = documented
        if name == "VLLM_ATTENTION_BACKEND":
            entry["choices"] = [b["name"] for b in backends]
            entry["choices_source"] = ("vllm/attention/selector.py backend_name_to_enum: "
                                       "members of _Backend (vllm/platforms/interface.py)")
        out.append(entry)
    return out


def attention_backends(src):
    m = src.module("vllm.platforms.interface")
    ref = src.resolve(m, "_Backend")
    sel = src.module("vllm.attention.selector")
    find_function(sel, "backend_name_to_enum")  # must exist: it is what reads the name
    return [{"name": e.name, "source_line": None} for e in src.enum_members(ref)], ref


# ----------------------------------------------------------------------------------
# Log lines
# ----------------------------------------------------------------------------------

def find_log(src, relpath, needle):
    m = src.module_by_path(relpath)
    hits = []
    for node in ast.walk(m.tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str) and needle in node.args[0].value):
            hits.append(node)
    if not hits or len({h.args[0].value for h in hits}) != 1:
        raise ExtractError("%s: expected log calls with one message containing %r, "
                           "found %d" % (relpath, needle, len(hits)))
    hits.sort(key=lambda h: h.args[0].lineno)
    node = hits[0]
    msg = node.args[0].value
    out = {"file": relpath, "line": node.args[0].lineno, "level": node.func.attr,
           "message": msg, "where": "%s:%d" % (relpath, node.args[0].lineno),
           "call": "%s:%d" % (relpath, node.lineno)}
    if len(hits) > 1:
        out["also"] = ["%s:%d" % (relpath, h.args[0].lineno) for h in hits[1:]]
    return out


def find_fstring_piece(src, relpath, cls_name, method, piece_regex):
    m = src.module_by_path(relpath)
    for node in m.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and f.name == method:
                    for ln in range(f.lineno, f.end_lineno + 1):
                        if re.search(piece_regex, m.lines[ln - 1]):
                            return ln, m.lines[ln - 1].strip()
    raise ExtractError("%s: %s.%s: %r not found" % (relpath, cls_name, method, piece_regex))


def pinned_requirements(src):
    """torch and friends as vLLM's CUDA wheel pins them (requirements/cuda.txt): `pip install
    vllm==X` replaces any other torch already in the venv with these."""
    rel = "requirements/cuda.txt"
    with open(os.path.join(src.root, rel), encoding="utf-8") as f:
        text = f.read()
    src.used.add(rel)
    pins = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(torch|torchaudio|torchvision)\s*==\s*([^\s#;]+)", line)
        if m:
            pins[m.group(1)] = m.group(2)
    if "torch" not in pins:
        raise ExtractError("%s: no torch pin found" % rel)
    return {"file": rel, "pins": pins}


def log_lines(src):
    specs = [
        ("sampler_flashinfer", "vllm/v1/sample/ops/topk_topp_sampler.py",
         "Using FlashInfer for top-p & top-k sampling."),
        ("sampler_disabled", "vllm/v1/sample/ops/topk_topp_sampler.py",
         "FlashInfer is available, but it is not enabled."),
        ("sampler_unavailable", "vllm/v1/sample/ops/topk_topp_sampler.py",
         "FlashInfer is not available."),
        ("kv_cache_fp8", "vllm/config/cache.py", "Using fp8 data type to store kv cache."),
        ("quantization_fp8_marlin_fallback",
         "vllm/model_executor/layers/quantization/utils/marlin_utils_fp8.py",
         "Your GPU does not have native support for FP8 computation"),
        ("engine_config_v1", "vllm/v1/engine/core.py",
         "Initializing a V1 LLM engine"),
    ]
    lines, sources = {}, {}
    for key, path, needle in specs:
        hit = find_log(src, path, needle)
        msg = hit["message"]
        # the catalog value is the message's first sentence (a static substring)
        value = first_sentence(msg) if "%" not in first_sentence(msg) else needle
        if not msg.startswith(value):
            value = needle
        lines[key] = value
        sources[key] = {"where": hit["where"], "call": hit["call"], "level": hit["level"],
                        "message": msg}
        if "also" in hit:
            sources[key]["also"] = hit["also"]
    # The engine a server really runs (verify.sh): the V0 config line, and the V0 fallback.
    hit = find_log(src, "vllm/engine/llm_engine.py", "Initializing a V0 LLM engine")
    lines["engine_config_v0"] = "Initializing a V0 LLM engine"
    sources["engine_config_v0"] = {"where": hit["where"], "call": hit["call"],
                                   "level": hit["level"], "message": hit["message"]}
    lines["v0_fallback"], sources["v0_fallback"] = v0_fallback_line(src)
    # `--quantization fp8`: vLLM 0.10.2 has no fp8-specific INFO line for dense models
    # (fp8.py logs only for MoE layers / DeepGemm / CUTLASS choices). What every engine
    # prints is the config line, whose VllmConfig.__str__ contains `quantization=fp8`.
    ln, text = find_fstring_piece(src, "vllm/config/__init__.py", "VllmConfig", "__str__",
                                  r"quantization=\{self\.model_config\.quantization\}")
    lines["quantization_fp8_loaded"] = "quantization=fp8"
    sources["quantization_fp8_loaded"] = {
        "where": "vllm/config/__init__.py:%d" % ln,
        "level": "info",
        "message": text,
        "printed_by": sources["engine_config_v1"]["where"],
        "note": ("static text 'quantization=' + ModelConfig.quantization, inside the "
                 "'Initializing a V1 LLM engine (v%s) with config: %s' INFO line; on "
                 "compute capability < 8.9 the quantization_fp8_marlin_fallback WARNING "
                 "is printed as well"),
    }
    return lines, sources


def v0_fallback_line(src):
    """The warning vLLM logs when the V1 engine cannot serve a configuration and it falls back
    to V0: `_raise_or_fallback` builds it as "{feature} is not supported by the V1 Engine. " +
    "Falling back to V0. " and logs it with logger.warning(msg); `_warn_or_fallback` logs
    "%s is experimental on VLLM_USE_V1=1. Falling back to V0 Engine." (INFO). The catalog value
    is the text both contain."""
    rel = "vllm/engine/arg_utils.py"
    m = src.module_by_path(rel)
    needle = "Falling back to V0"
    fn = find_function(m, "_raise_or_fallback")
    pieces = [n for n in ast.walk(fn) if isinstance(n, ast.Constant) and isinstance(n.value, str)
              and needle in n.value]
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in LOG_METHODS]
    if len(pieces) != 1 or len(calls) != 1:
        raise ExtractError("%s: _raise_or_fallback: expected one %r piece and one log call"
                           % (rel, needle))
    other = find_log(src, rel, needle)
    return needle, {
        "where": "%s:%d" % (rel, pieces[0].lineno),
        "call": "%s:%d" % (rel, calls[0].lineno),
        "level": calls[0].func.attr,
        "message": "{feature_name} is not supported by the V1 Engine. " + pieces[0].value,
        "also": [other["where"]],
        "also_message": other["message"],
    }


def attention_backend_lines(src):
    """What CudaPlatform.get_attn_backend_cls logs on the V1 engine for each backend that
    VLLM_ATTENTION_BACKEND selects by name: the `if selected_backend == _Backend.NAME:` chain
    under `if use_v1:` (vllm/platforms/cuda.py). Names not in the chain fall through to the
    default choice, which logs one of the other lines (by compute capability)."""
    rel = "vllm/platforms/cuda.py"
    m = src.module_by_path(rel)
    out, where = {}, {}
    for node in ast.walk(m.tree):
        if not isinstance(node, ast.If):
            continue
        t = node.test
        if not (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name)
                and t.left.id == "selected_backend" and len(t.ops) == 1
                and isinstance(t.ops[0], ast.Eq) and isinstance(t.comparators[0], ast.Attribute)
                and isinstance(t.comparators[0].value, ast.Name)
                and t.comparators[0].value.id == "_Backend"):
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
                and isinstance(first.value.func, ast.Attribute)
                and first.value.func.attr in LOG_METHODS and first.value.args
                and isinstance(first.value.args[0], ast.Constant)):
            continue
        msg = first.value.args[0].value
        if "on V1 engine" not in msg:
            continue
        name = t.comparators[0].attr
        out[name] = msg
        where[name] = "%s:%d" % (rel, first.value.args[0].lineno)
    if "FLASHINFER" not in out:
        raise ExtractError("%s: no V1 log line for _Backend.FLASHINFER" % rel)
    default = {}
    for key, needle in [("blackwell_flashinfer", "Using FlashInfer backend with HND KV cache layout"),
                        ("flash_attn", "Using Flash Attention backend on"),
                        ("flex_attention", "Using FlexAttention backend on V1 engine."),
                        ("triton_sinks", "Using Triton backend on V1 engine.")]:
        hit = find_log(src, rel, needle)
        default[key] = {"message": hit["message"], "where": [hit["where"]] + hit.get("also", [])}
    return {"by_name": out, "where": where, "default_choice": default,
            "common": " on V1 engine",
            "note": ("CudaPlatform.get_attn_backend_cls: the line logged for a VLLM_ATTENTION_BACKEND "
                     "that selects a V1 backend by name; any other value (or none) takes the default "
                     "choice by compute capability (default_choice), whose lines all contain 'common'")}


# ----------------------------------------------------------------------------------

def git_blob_id(path):
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def extract(root, commit, allow_drift):
    src = Source(root)
    ev = Evaluator(src)
    kb = KwargsBuilder(src, ev)

    fp = logic_fingerprint(kb.arg_utils)
    expected = KNOWN_FINGERPRINTS.get(CATALOG_VERSION)
    if fp != expected and not allow_drift:
        raise ExtractError(
            "get_kwargs logic fingerprint %s differs from the one this script mirrors "
            "(%s); re-check compute_kwargs() against vllm/engine/arg_utils.py and update "
            "KNOWN_FINGERPRINTS, or pass --allow-logic-drift" % (fp, expected))

    backends, backend_ref = attention_backends(src)
    for b, node in zip(backends, [s for s in backend_ref.node.body if isinstance(s, ast.Assign)]):
        b["source_line"] = node.lineno
    envs = env_catalog(src, ev, backends)
    env_defaults = {e["name"]: e["default"] for e in envs}

    cli = src.module("vllm.entrypoints.openai.cli_args")
    interp = CliInterpreter(src, ev, kb)
    interp.run_function(cli, find_function(cli, "make_arg_parser"), "parser")
    flags, positionals = build_flags(src, interp.model, env_defaults)

    quant = quantization_methods(src, ev)
    lines, line_sources = log_lines(src)
    backend_lines = attention_backend_lines(src)
    requirements = pinned_requirements(src)

    files = sorted(src.used)
    catalog = {
        "vllm_version": CATALOG_VERSION,
        "source": {
            "repository": REPOSITORY,
            "commit": commit,
            "files": files,
            "git_blob_ids": {f: git_blob_id(os.path.join(src.root, f)) for f in files},
            "extractor": "tools/vllm-catalog/extract.py",
            "get_kwargs_fingerprint": fp,
        },
        "parser": {
            "entrypoint": "python -m vllm.entrypoints.openai.api_server "
                          "(make_arg_parser; `vllm serve` builds the same parser)",
            "groups": [g["title"] for g in interp.model.groups],
            "positionals": positionals,
            "flag_count": len(flags),
            "not_modelled": interp.model.ignored_calls,
        },
        "flags": flags,
        "quantization_methods": quant,
        "env": envs,
        "attention_backends": [b["name"] for b in backends],
        "log_lines": lines,
        "log_line_sources": line_sources,
        "attention_backend_log_lines": backend_lines,
        "requirements": requirements,
    }
    return catalog


def check_pinned_facts(catalog):
    """Facts about 0.10.2 checked by hand (shared/REFERENCE.md); a tree that is not the
    pinned release, or an extractor regression, fails here instead of shipping."""
    F = {f["dest"]: f for f in catalog["flags"]}
    facts = [
        ("176 flags", len(catalog["flags"]) == 176),
        ("--dtype choices", F["dtype"]["choices"] == [
            "auto", "bfloat16", "float", "float16", "float32", "half"]),
        ("--kv-cache-dtype choices", F["kv_cache_dtype"]["choices"] == [
            "auto", "fp8", "fp8_e4m3", "fp8_e5m2", "fp8_inc"]),
        ("--quantization has no choices", F["quantization"]["choices"] is None),
        ("28 quantization methods", len(catalog["quantization_methods"]) == 28),
        ("--served-model-name nargs +", F["served_model_name"]["nargs"] == "+"),
        ("--trust-remote-code bool pair", F["trust_remote_code"]["kind"] == "bool_pair"),
        ("host/port are Frontend", F["host"]["group"] == F["port"]["group"] == "Frontend"),
        ("-tp alias, ParallelConfig", F["tensor_parallel_size"]["aliases"] == ["-tp"]
         and F["tensor_parallel_size"]["group"] == "ParallelConfig"),
        ("gpu_memory_utilization CacheConfig",
         F["gpu_memory_utilization"]["group"] == "CacheConfig"),
        ("VLLM_USE_FLASHINFER_SAMPLER int_bool", any(
            e["name"] == "VLLM_USE_FLASHINFER_SAMPLER" and e["syntax"] == "int_bool"
            for e in catalog["env"])),
    ]
    bad = [name for name, ok in facts if not ok]
    if bad:
        raise ExtractError("pinned 0.10.2 facts do not hold: %s" % ", ".join(bad))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("vllm_root", help="path to a vLLM source tree (git archive of the release)")
    p.add_argument("--out", help="write here instead of stdout")
    p.add_argument("--commit", default=PINNED_COMMIT,
                   help="commit the tree was exported from (recorded in the output)")
    p.add_argument("--allow-logic-drift", action="store_true",
                   help="run even if vLLM's get_kwargs differs from the mirrored logic, "
                        "and skip the pinned 0.10.2 fact checks (for other versions)")
    p.add_argument("--print-fingerprint", action="store_true",
                   help="print the get_kwargs logic fingerprint of the tree and exit")
    args = p.parse_args(argv)
    try:
        if args.print_fingerprint:
            src = Source(args.vllm_root)
            print(logic_fingerprint(src.module("vllm.engine.arg_utils")))
            return 0
        catalog = extract(args.vllm_root, args.commit, args.allow_logic_drift)
        if not args.allow_logic_drift:
            check_pinned_facts(catalog)
    except ExtractError as e:
        print("extract.py: error: %s" % e, file=sys.stderr)
        return 1
    text = json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
