#!/usr/bin/python3
"""Stand-ins for the tools the generated scripts run inside a container, for tests.

One file, installed as /usr/local/lib/phx-standin/ct-standin.py and linked under several names
(the name it is called by picks the tool; `ct-standin.py TOOL ARGS` works too). Each models the
semantics of the real tool that the scripts rely on, with its source cited; every call is
appended as a JSON array [name, args...] to /var/log/phx-standin/calls.jsonl, and state lives in
/var/lib/phx-standin/.

/opt/vllm/bin/pip (pip 24, in a venv of Python 3.12 as on Ubuntu 24.04, which starts with pip
    only): keeps the venv's distributions (dists.json) and resolves `install` like pip against a
    small package universe (UNIVERSE: PyPI, the PyTorch cu128 and nightly/cu128 indexes). A
    requirement the installed version satisfies is "already satisfied" and downloads nothing
    (pip skips the index then); otherwise the best version the indexes of the call offer
    (--index-url replaces PyPI, --extra-index-url adds; pre-releases only with --pre) is
    downloaded and replaces the installed one, then its dependencies the same way (not with
    --no-deps). PEP 440 matching: `==2.8.0` accepts `2.8.0+cu128` (a local label is ignored when
    the specifier has none) but not `2.10.0.dev20251001+cu128`. A directory is built: FlashInfer's
    source (its version.txt) with --no-build-isolation needs setuptools >= 77 already installed
    (measured on `git archive v0.3.1` with pip 23.2.1 / Python 3.11: setuptools 65.5.0 fails,
    "configuration error: `project.license` must be valid exactly by one definition (2 matches
    found)"; setuptools 80.9.0 builds the wheel) and, stricter than pip, refuses a checkout
    without the cutlass/spdlog submodules (measured: the real build then succeeds but its wheel
    has no file under flashinfer/data/cutlass, the include path FlashInfer's JIT gives every
    kernel build, flashinfer/jit/cpp_ext.py:85-86); with build isolation it
    downloads its build requirements into a throw-away environment (FlashInfer v0.3.1
    pyproject.toml:26-29, custom_backend.py:11, 76-78: setuptools, packaging, torch, ninja, numpy,
    requests). Downloads, builds and uninstalls are logged to /var/log/phx-standin/pip.jsonl.
/opt/vllm/bin/python: `-c CODE` runs CODE with stand-in modules vllm, torch and flashinfer whose
    versions are the installed distributions (torch.version.cuda from the +cuNNN label; PyPI's
    torch 2.8.0 is a CUDA 12.8 build), and importlib.metadata answering from dists.json;
    `-m vllm.entrypoints.openai.api_server ARGS` is the server below; anything else runs the
    real /usr/bin/python3.
/opt/vllm/bin/vllm: `vllm bench serve` of vLLM 0.10.2 (vllm/benchmarks/serve.py), below.
git: `clone URL DIR` creates DIR/.git; `-C DIR checkout --force refs/tags/vX` writes DIR/version.txt
    (FlashInfer's version file) with X; `-C DIR submodule update --init [PATH...]` checks out
    the named submodules of FlashInfer (.gitmodules: 3rdparty/cutlass, composable_kernels,
    spdlog; all when none is named).
apt-get, dpkg: record; `apt-get install PKGS` marks PKGS installed; cuda-toolkit-X-Y also puts
    nvcc at /usr/local/cuda-X.Y/bin/nvcc.
dpkg-query: `-W -f=${Status} PKG` answers for packages apt-get marked installed, otherwise it
    is the real dpkg-query.
wget: writes the file given with -O (an NVIDIA .run URL becomes a script that "installs" that
    driver's userspace).
nvidia-smi: answers the installed driver version once per GPU, or fails like nvidia-smi
    without a driver. nvcc: `--version` like CUDA's nvcc.

The server (python -m vllm.entrypoints.openai.api_server): records its argv and environment
NUL-separated (like RECORDING_PYTHON in test/lib/real-systemd.ts) and appends
"<INVOCATION_ID> <pid>" to /var/lib/phx-standin/starts. Like vLLM 0.10.2 it binds --host/--port
(AF_INET6 for an IPv6 literal) first and listens only after "loading the model"
(PHX_STANDIN_LOAD_SECONDS, default 1; api_server.py:1858-1911, launcher.py:70), so /health is
refused meanwhile. A model that is not a local folder is "downloaded" into the Hugging Face cache
of huggingface_hub's rules (HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME,
~/.cache; constants.py:129-155 of v0.34.3). It prints vLLM's own lines (vllm/v1/engine/core.py,
platforms/cuda.py, config/cache.py, engine/arg_utils.py, v1/sample/ops/topk_topp_sampler.py): the
V0/V1 decision of vLLM's oracle for the FP8 KV cache (cuda.py:521-561 at the compute capability
PHX_STANDIN_CC, default 12.0) and for VLLM_ATTENTION_BACKEND (arg_utils.py:1502-1526): a fallback
logs "... Falling back to V0. " and the V0 engine line; on V1 the attention backend line
(cuda.py:306-384) and the sampler line for VLLM_USE_FLASHINFER_SAMPLER (unset or 1: on, 0: off);
the FP8 KV cache line; quantization=... in the engine config line.
It answers GET /health, GET /v1/models (the --served-model-name values, or --model), POST
/v1/completions (JSON, or with "stream": true server-sent events ending with a usage chunk when
stream_options.include_usage, then [DONE], like vLLM's OpenAI server) and /v1/embeddings; with
--api-key (or VLLM_API_KEY) every /v1 path wants "Authorization: Bearer <key>" (401). A
completion is checked like vLLM (sampling_params.py:_verify_args; serving_engine.py:674-687
against --max-model-len, the prompt counted in whitespace-separated tokens) and takes the
sampling path vLLM's V1 sampler takes (vllm/v1/sample/sampler.py:150-191, gpu_input_batch.py:
333-349, topk_topp_sampler.py:100-123): greedy below temperature 1e-5; the top-p/top-k sampler
when top_p < 1 or 0 < top_k < vocabulary, FlashInfer's with the sampler on and no per-request
seed, else PyTorch's (slower); otherwise temperature only. Each token costs 2 ms plus the
path's own cost (PATH_COST); as a test device (not a vLLM fact) the first WARM_REQUESTS requests
of each process cost WARM_SECONDS more, so a benchmark that times them shows it. Every request is
appended to /var/log/phx-standin/requests.jsonl (invocation, sequence number, x-request-id, the
sampling fields, the path). Test switches: PHX_STANDIN_NO_SAMPLER_LINE=1 leaves the sampler line
out, PHX_STANDIN_SERVED_NAME=X serves X instead, PHX_STANDIN_NO_LISTEN=1 never listens,
PHX_STANDIN_CRASH=1 exits 1 while loading.
"""
import argparse
import json
import math
import os
import re
import socket
import statistics
import sys
import threading
import time
import types

SELF = "/usr/local/lib/phx-standin/ct-standin.py"
STATE = "/var/lib/phx-standin"
CALLS = "/var/log/phx-standin/calls.jsonl"
PIP_LOG = "/var/log/phx-standin/pip.jsonl"
REQUESTS = "/var/log/phx-standin/requests.jsonl"
DISTS = os.path.join(STATE, "dists.json")
PACKAGES = os.path.join(STATE, "packages")
DRIVER = os.path.join(STATE, "nvidia-driver")
GPUS = 2
VOCAB = 128256  # the stand-in tokenizer's vocabulary (Llama 3's size)

LINE_SAMPLER_ON = "Using FlashInfer for top-p & top-k sampling."
LINE_SAMPLER_OFF = (
    "FlashInfer is available, but it is not enabled. Falling back to the PyTorch-native implementation of "
    "top-p & top-k sampling. For the best performance, please set VLLM_USE_FLASHINFER_SAMPLER=1."
)
LINE_KV_FP8 = (
    "Using fp8 data type to store kv cache. It reduces the GPU memory footprint and boosts the performance. "
    "Meanwhile, it may cause accuracy drop without a proper scaling factor."
)


def record(name, args, prefix=()):
    os.makedirs(os.path.dirname(CALLS), exist_ok=True)
    with open(CALLS, "a", encoding="utf-8") as f:
        f.write(json.dumps([*prefix, name, *args]) + "\n")


def append_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(obj) + "\n")


def read_json(path, default):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.rename(path + ".tmp", path)


# --- PEP 440, the part pip's decisions here depend on --------------------------------------

VERSION_RE = re.compile(r"(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?(?:\+([a-z0-9.]+))?$")


class Version:
    def __init__(self, text):
        m = VERSION_RE.match(text)
        if not m:
            raise ValueError("invalid version %r" % text)
        self.text = text
        rel = [int(x) for x in m.group(1).split(".")]
        while len(rel) > 1 and rel[-1] == 0:
            rel.pop()
        self.release = tuple(rel)
        self.pre = (("a", "b", "rc").index(m.group(2)), int(m.group(3))) if m.group(2) else None
        self.post = int(m.group(4)) if m.group(4) is not None else None
        self.dev = int(m.group(5)) if m.group(5) is not None else None
        self.local = m.group(6)

    def is_prerelease(self):
        return self.pre is not None or self.dev is not None

    def key(self, local=True):
        if self.pre is None and self.post is None and self.dev is not None:
            pre = (-1, 0)
        elif self.pre is None:
            pre = (3, 0)
        else:
            pre = self.pre
        return (
            self.release,
            pre,
            -1 if self.post is None else self.post,
            math.inf if self.dev is None else self.dev,
            (self.local or "") if local else "",
        )

    def public_key(self):
        return self.key(local=False)


def parse_requirement(text):
    """name, [(op, version)], with the name normalized (PEP 503)."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$", text)
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    specs = []
    for part in filter(None, (p.strip() for p in m.group(3).split(","))):
        sm = re.match(r"^(==|!=|>=|<=|>|<)\s*(\S+)$", part)
        if not sm:
            raise ValueError("unsupported specifier %r" % part)
        specs.append((sm.group(1), sm.group(2)))
    return name, specs


def satisfies(version, specs, prereleases):
    v = Version(version)
    if v.is_prerelease() and not prereleases and not any(Version(s).is_prerelease() for _, s in specs):
        return False
    for op, s in specs:
        sv = Version(s)
        # A specifier without a local label ignores the candidate's (PEP 440 "Version matching").
        vk = v.key() if sv.local else v.public_key()
        sk = sv.key()
        ok = {
            "==": vk == sk,
            "!=": vk != sk,
            ">=": v.public_key() >= sv.public_key(),
            "<=": v.public_key() <= sv.public_key(),
            ">": v.public_key() > sv.public_key(),
            "<": v.public_key() < sv.public_key(),
        }[op]
        if not ok:
            return False
    return True


# --- the package universe the pip stand-in installs from -----------------------------------

PYPI = "https://pypi.org/simple"
CU128 = "https://download.pytorch.org/whl/cu128"
NIGHTLY_CU128 = "https://download.pytorch.org/whl/nightly/cu128"
NIGHTLY = "2.10.0.dev20251001+cu128"
UNIVERSE = {
    PYPI: {
        "vllm": ["0.10.1", "0.10.2"],
        "torch": ["2.8.0", "2.9.0"],
        "torchvision": ["0.23.0", "0.24.0"],
        "torchaudio": ["2.8.0", "2.9.0"],
        "setuptools": ["65.5.0", "70.2.0", "79.0.1", "80.9.0"],
        "packaging": ["23.2", "24.2", "25.0"],
        "ninja": ["1.13.0"],
        "wheel": ["0.45.1"],
        "numpy": ["2.2.6"],
        "requests": ["2.32.5"],
        "einops": ["0.8.1"],
        "nvidia-cudnn-frontend": ["1.14.1"],
    },
    CU128: {
        "torch": ["2.7.1+cu128", "2.8.0+cu128"],
        "torchvision": ["0.22.1+cu128", "0.23.0+cu128"],
        "torchaudio": ["2.7.1+cu128", "2.8.0+cu128"],
        "setuptools": ["70.2.0"],
        "numpy": ["2.1.2"],
    },
    NIGHTLY_CU128: {
        "torch": [NIGHTLY],
        "torchvision": ["0.25.0.dev20251001+cu128"],
        "torchaudio": ["2.8.0.dev20251001+cu128"],
        "setuptools": ["70.2.0"],
        "numpy": ["2.1.2"],
    },
}


def dependencies(name, version):
    """The requirements a distribution brings (the ones these tests depend on)."""
    v = Version(version)
    if name == "torch":
        return ["setuptools"]  # torch's wheels require setuptools on Python >= 3.12
    if name in ("torchvision", "torchaudio"):
        # each release pins the torch it was built with
        if v.dev is not None:
            return ["torch==" + NIGHTLY.split("+")[0]]
        return ["torch==" + {(0, 23): "2.8.0", (0, 24): "2.9.0", (0, 22, 1): "2.7.1", (2, 8): "2.8.0", (2, 9): "2.9.0", (2, 7, 1): "2.7.1"}[v.release]]
    if name == "vllm" and v.release == (0, 10, 2):
        # vLLM 0.10.2 requirements/cuda.txt:9-12 and common.txt:39, 47 (Python 3.12)
        return ["torch==2.8.0", "torchaudio==2.8.0", "torchvision==0.23.0", "setuptools>=77.0.3,<80", "ninja", "numpy", "requests"]
    if name == "vllm":
        return ["torch==2.7.1", "torchaudio==2.7.1", "torchvision==0.22.1"]
    if name == "flashinfer-python":
        # FlashInfer v0.3.1 setup.py:56-68 install_requires (the ones modelled)
        return ["numpy", "torch", "ninja", "requests", "einops", "packaging>=24.2", "nvidia-cudnn-frontend>=1.13.0"]
    return []


def dists():
    return read_json(DISTS, {"pip": "24.0"})


# --- python ---------------------------------------------------------------------------------


def torch_cuda(version):
    m = re.search(r"\+cu(\d+)(\d)$", version)
    if m:
        return "%s.%s" % (m.group(1), m.group(2))
    return "12.8" if version.startswith("2.8.") else None


def python(args):
    if len(args) >= 2 and args[0] == "-c":
        record("python", args)
        installed = dists()
        if "vllm" in installed:
            m = types.ModuleType("vllm")
            m.__version__ = installed["vllm"]
            sys.modules["vllm"] = m
        if "torch" in installed:
            m = types.ModuleType("torch")
            m.__version__ = installed["torch"]
            m.version = types.SimpleNamespace(cuda=torch_cuda(installed["torch"]))
            sys.modules["torch"] = m
        if "flashinfer-python" in installed:
            m = types.ModuleType("flashinfer")
            m.__version__ = installed["flashinfer-python"]
            sys.modules["flashinfer"] = m
        for name in ("vllm", "torch", "flashinfer"):
            if name not in sys.modules:
                sys.modules[name] = None  # import raises ModuleNotFoundError, as in a venv without it
        import importlib.metadata as md

        def version(name):
            key = re.sub(r"[-_.]+", "-", name).lower()
            if key not in installed:
                raise md.PackageNotFoundError(name)
            return installed[key]

        md.version = version
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
        return 0
    if len(args) >= 2 and args[0] == "-m" and args[1] == "vllm.entrypoints.openai.api_server":
        return serve(args[2:])
    os.execv("/usr/bin/python3", ["/usr/bin/python3", *args])


# --- the vLLM server ------------------------------------------------------------------------


def record_service():
    argv = [sys.argv[0], *sys.argv[1:]]
    with open("/run/vllm-record.argv.tmp", "wb") as f:
        f.write(b"\0".join(os.fsencode(a) for a in argv) + b"\0")
    with open("/run/vllm-record.env.tmp", "wb") as f:
        f.write(b"\0".join(os.fsencode(k) + b"=" + os.fsencode(v) for k, v in sorted(os.environ.items())) + b"\0")
    os.rename("/run/vllm-record.argv.tmp", "/run/vllm-record.argv")
    os.rename("/run/vllm-record.env.tmp", "/run/vllm-record.env")
    os.makedirs(STATE, exist_ok=True)
    with open(os.path.join(STATE, "starts"), "a", encoding="utf-8") as f:
        f.write("%s %d\n" % (os.environ.get("INVOCATION_ID", "-"), os.getpid()))


def option(args, name):
    """Values of --name V / --name=V (the last wins); for nargs+ options every value up to the next --flag."""
    values = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--" + name:
            values = []
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                values.append(args[i])
                i += 1
            continue
        if a.startswith("--" + name + "="):
            values = [a.split("=", 1)[1]]
        i += 1
    return values


def hub_cache():
    """huggingface_hub v0.34.3 constants.py:129-155."""
    home = os.path.expanduser(os.getenv("HF_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "huggingface")))
    return os.path.expanduser(os.getenv("HF_HUB_CACHE", os.getenv("HUGGINGFACE_HUB_CACHE", os.path.join(home, "hub"))))


def model_cache_dir(model):
    return os.path.join(hub_cache(), "models--" + model.replace("/", "--"))


# The V1 oracle keeps V1 only for these VLLM_ATTENTION_BACKEND values (arg_utils.py:1502-1526).
V1_BACKENDS = [
    "FLASH_ATTN_VLLM_V1", "FLASH_ATTN", "PALLAS", "PALLAS_VLLM_V1", "TRITON_ATTN_VLLM_V1", "TRITON_MLA", "CUTLASS_MLA", "FLASHMLA",
    "FLASHMLA_VLLM_V1", "FLASH_ATTN_MLA", "FLASHINFER", "FLASHINFER_VLLM_V1", "FLASHINFER_MLA", "ROCM_AITER_MLA", "TORCH_SDPA_VLLM_V1",
    "FLEX_ATTENTION", "TREE_ATTN", "XFORMERS_VLLM_V1",
]
# What get_attn_backend_cls logs on V1 for a backend selected by name (cuda.py:308-329).
BACKEND_LINES = {
    "FLASHINFER": "Using FlashInfer backend on V1 engine.",
    "FLEX_ATTENTION": "Using FlexAttention backend on V1 engine.",
    "TRITON_ATTN_VLLM_V1": "Using Triton backend on V1 engine.",
    "FLASH_ATTN": "Using Flash Attention backend on V1 engine.",
    "TREE_ATTN": "Using Tree Attention backend on V1 engine.",
    "XFORMERS_VLLM_V1": "Using XFormers backend on V1 engine.",
}


def kv_cache_supported_v1(kv, backend, cc):
    """CudaPlatform.is_kv_cache_dtype_supported (cuda.py:521-561), non-MLA models, FA3 on 9.x."""
    if not kv.startswith("fp8"):
        return True
    if cc == "10.0":
        return True
    backend = backend or "FLASH_ATTN_VLLM_V1"
    if backend == "FLASH_ATTN_VLLM_V1":
        return cc.startswith("9.")
    if backend == "FLASHINFER":
        return True
    if backend == "TRITON_ATTN_VLLM_V1":
        return tuple(int(x) for x in cc.split(".")) >= (8, 9)
    return False


def serve(args):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    record_service()
    env = os.environ
    pid = os.getpid()
    host = (option(args, "host") or [""])[0]
    port = int((option(args, "port") or ["8000"])[0])
    model = (option(args, "model") or ["model"])[0]
    names = option(args, "served-model-name") or [model]
    if env.get("PHX_STANDIN_SERVED_NAME"):
        names = [env["PHX_STANDIN_SERVED_NAME"]]
    sampler_on = env.get("VLLM_USE_FLASHINFER_SAMPLER", "1") != "0"
    api_key = (option(args, "api-key") or [env.get("VLLM_API_KEY")])[0]
    quant = (option(args, "quantization") or [None])[0]
    kv = (option(args, "kv-cache-dtype") or ["auto"])[0]
    max_model_len = int((option(args, "max-model-len") or ["0"])[0])
    backend = env.get("VLLM_ATTENTION_BACKEND")
    cc = env.get("PHX_STANDIN_CC", "12.0")

    def say(line, proc="APIServer"):
        sys.stdout.write("(%s pid=%d) %s\n" % (proc, pid, line))
        sys.stdout.flush()

    # vLLM binds the API socket before the engine starts, and listens only after it is up.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True
        allow_reuse_address = True

    say("INFO 09-20 12:00:00 [api_server.py:1896] vLLM API server version 0.10.2")
    for repo in {model, *(option(args, "tokenizer") or [])}:
        if os.path.isdir(repo):
            continue
        # vLLM downloads config, tokenizer and weights (the --tokenizer's files too) into the Hugging Face cache.
        snap = os.path.join(model_cache_dir(repo), "snapshots", "standin")
        os.makedirs(snap, exist_ok=True)
        for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
            with open(os.path.join(snap, f), "w", encoding="utf-8") as fh:
                fh.write("{}\n")
    fallback = None
    if kv != "auto" and not kv_cache_supported_v1(kv, backend, cc):
        fallback = "--kv-cache-dtype is not supported by the V1 Engine. Falling back to V0. "
    elif backend is not None and backend not in V1_BACKENDS:
        fallback = "VLLM_ATTENTION_BACKEND=%s is not supported by the V1 Engine. Falling back to V0. We recommend to remove VLLM_ATTENTION_BACKEND=%s from your config in favor of the V1 Engine." % (backend, backend)
    if kv.startswith("fp8"):
        say("INFO 09-20 12:00:00 [cache.py:175] " + LINE_KV_FP8)
    if fallback:
        say("WARNING 09-20 12:00:00 [arg_utils.py:1801] " + fallback)
    server = Server((host, port), None, bind_and_activate=False)
    server.server_bind()
    config = "model=%r, served_model_name=%s, quantization=%s, kv_cache_dtype=%s" % (model, names[0], quant, kv)
    if fallback:
        say("INFO 09-20 12:00:01 [llm_engine.py:222] Initializing a V0 LLM engine (v0.10.2) with config: %s, use_cached_outputs=True, " % config)
    else:
        say("INFO 09-20 12:00:01 [core.py:76] Initializing a V1 LLM engine (v0.10.2) with config: %s" % config, "EngineCore_DP0")
    # Loading the model: the port is bound but refuses connections.
    time.sleep(float(env.get("PHX_STANDIN_LOAD_SECONDS", "1")))
    if env.get("PHX_STANDIN_CRASH") == "1":
        say("ERROR 09-20 12:00:02 [core.py:700] EngineCore failed to start.", "EngineCore_DP0")
        return 1
    if fallback:
        if kv.startswith("fp8"):
            say("INFO 09-20 12:00:02 [cuda.py:441] Cannot use FlashAttention backend for FP8 KV cache.")
            say("INFO 09-20 12:00:02 [cuda.py:453] Using XFormers backend.")
    else:
        if backend in BACKEND_LINES:
            line = BACKEND_LINES[backend]
        elif cc == "10.0":
            line = "Using FlashInfer backend with HND KV cache layout on V1 engine by default for Blackwell (SM 10.0) GPUs."
        elif tuple(int(x) for x in cc.split(".")) >= (8, 0):
            line = "Using Flash Attention backend on V1 engine."
        else:
            line = "Using FlexAttention backend on V1 engine."
        say("INFO 09-20 12:00:02 [cuda.py:309] " + line, "EngineCore_DP0")
        if env.get("PHX_STANDIN_NO_SAMPLER_LINE") != "1":
            if sampler_on:
                say("INFO 09-20 12:00:02 [topk_topp_sampler.py:58] " + LINE_SAMPLER_ON, "EngineCore_DP0")
            else:
                say("WARNING 09-20 12:00:02 [topk_topp_sampler.py:62] " + LINE_SAMPLER_OFF, "EngineCore_DP0")
    if env.get("PHX_STANDIN_NO_LISTEN") == "1":
        say("stand-in: not listening (PHX_STANDIN_NO_LISTEN=1)")
        while True:
            time.sleep(3600)

    counter = {"n": 0}
    lock = threading.Lock()
    invocation = env.get("INVOCATION_ID", "-")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            say("INFO:     %s - %s" % (self.client_address[0], fmt % a))

        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def bad(self, message):
            self.reply(400, {"object": "error", "message": message, "type": "BadRequestError", "param": None, "code": 400})

        def unauthorized(self):
            # vLLM's --api-key: every /v1 path needs "Authorization: Bearer <key>".
            if api_key and self.path.startswith("/v1") and self.headers.get("Authorization") != "Bearer " + api_key:
                self.reply(401, {"error": "Unauthorized"})
                return True
            return False

        def do_GET(self):
            if self.unauthorized():
                return
            if self.path == "/v1/models":
                self.reply(200, {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "vllm", "root": model} for n in names]})
            elif self.path == "/health":
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            if self.unauthorized():
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                req = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.bad("bad JSON")
            if req.get("model") not in names:
                return self.reply(404, {"error": {"message": "The model `%s` does not exist." % req.get("model"), "type": "NotFoundError", "code": 404}})
            if self.path == "/v1/embeddings":
                return self.reply(200, {
                    "object": "list", "model": names[0],
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3, 0.4]}],
                    "usage": {"prompt_tokens": 3, "total_tokens": 3},
                })
            if self.path != "/v1/completions":
                return self.reply(404, {"detail": "Not Found"})
            n = int(req.get("max_tokens") or 16)
            temperature = float(req.get("temperature", 1.0))
            top_p = float(req.get("top_p", 1.0))
            top_k = int(req.get("top_k", 0))
            seed = req.get("seed")
            prompt_tokens = len(str(req.get("prompt", "")).split())
            # SamplingParams._verify_args (sampling_params.py:357-395) and the length check.
            if temperature < 0:
                return self.bad("temperature must be non-negative, got %s." % temperature)
            if not 0.0 < top_p <= 1.0:
                return self.bad("top_p must be in (0, 1], got %s." % top_p)
            if top_k < -1:
                return self.bad("top_k must be 0 (disable), or at least 1, got %s." % top_k)
            if max_model_len and prompt_tokens + n > max_model_len:
                return self.bad("'max_tokens' or 'max_completion_tokens' is too large: %d. This model's maximum context length is %d tokens and your request has %d input tokens (%d > %d - %d)." % (n, max_model_len, prompt_tokens, n, max_model_len, prompt_tokens))
            if temperature < 1e-5:
                path = "greedy"
            elif top_p < 1.0 or 0 < top_k < VOCAB:
                path = "flashinfer" if sampler_on and seed is None else "native"
            else:
                path = "temperature"
            with lock:
                counter["n"] += 1
                seq = counter["n"]
            append_json(REQUESTS, {
                "invocation": invocation, "pid": pid, "seq": seq, "request_id": self.headers.get("x-request-id"),
                "temperature": req.get("temperature"), "top_p": req.get("top_p"), "top_k": req.get("top_k"), "seed": seed,
                "max_tokens": n, "ignore_eos": req.get("ignore_eos"), "stream": bool(req.get("stream")), "path": path,
                "sampler": "on" if sampler_on else "off", "time": time.time(),
            })
            per_token = 0.002 + PATH_COST[path]
            first = WARM_SECONDS if seq <= WARM_REQUESTS else 0.0
            tokens = [" Paris"] + [" and"] * (n - 1)
            if not req.get("stream"):
                time.sleep(first + per_token * n)
                return self.reply(200, {
                    "id": "cmpl-standin", "object": "text_completion", "model": names[0],
                    "choices": [{"index": 0, "text": "".join(tokens), "finish_reason": "length"}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n},
                })
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def event(obj):
                data = ("data: %s\n\n" % (obj if isinstance(obj, str) else json.dumps(obj))).encode()
                self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            time.sleep(first)
            for i, t in enumerate(tokens):
                time.sleep(per_token)
                last = i == n - 1
                event({"id": "cmpl-standin", "object": "text_completion", "created": int(time.time()), "model": names[0],
                       "choices": [{"index": 0, "text": t, "logprobs": None, "finish_reason": "length" if last else None, "stop_reason": None}],
                       "usage": None})
            if (req.get("stream_options") or {}).get("include_usage"):
                event({"id": "cmpl-standin", "object": "text_completion", "created": int(time.time()), "model": names[0], "choices": [],
                       "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + n, "completion_tokens": n}})
            event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    server.RequestHandlerClass = Handler
    server.server_activate()
    shown = ("[%s]" % host if ":" in host else host) or "0.0.0.0"
    say("INFO 09-20 12:00:03 [api_server.py:1971] Starting vLLM API server 0 on http://%s:%d" % (shown, port))
    server.serve_forever()
    return 0


# Seconds per generated token on each sampling path, on top of 2 ms for the forward pass.
PATH_COST = {"greedy": 0.0, "temperature": 0.0002, "flashinfer": 0.0005, "native": 0.004}
# Test device: the first requests of each server process are slower by this much.
WARM_REQUESTS = 3
WARM_SECONDS = 0.4


# --- vllm bench serve -----------------------------------------------------------------------


def bench_parser():
    """The flags of `vllm bench serve` in 0.10.2: vllm/benchmarks/serve.py:782-1059 (add_cli_args)
    and the generic and random dataset flags of vllm/benchmarks/datasets.py:1022-1180."""
    p = argparse.ArgumentParser(prog="vllm bench serve")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-prompts", type=int, default=1000)
    p.add_argument("--dataset-name", type=str, default="random",
                   choices=["sharegpt", "burstgpt", "sonnet", "random", "random-mm", "hf", "custom", "prefix_repetition", "spec_bench"])
    p.add_argument("--no-stream", action="store_true")
    p.add_argument("--dataset-path", type=str, default=None)
    p.add_argument("--no-oversample", action="store_true")
    p.add_argument("--random-input-len", type=int, default=1024)
    p.add_argument("--random-output-len", type=int, default=128)
    p.add_argument("--random-range-ratio", type=float, default=0.0)
    p.add_argument("--random-prefix-len", type=int, default=0)
    p.add_argument("--random-batch-size", type=int, default=1)
    funcs = ["vllm", "openai", "openai-chat", "openai-audio", "openai-embeddings"]
    p.add_argument("--endpoint-type", type=str, default="openai", choices=funcs)
    p.add_argument("--label", type=str, default=None)
    p.add_argument("--backend", type=str, default="vllm", choices=funcs)
    p.add_argument("--base-url", type=str, default=None)
    p.add_argument("--host", type=str, default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--endpoint", type=str, default="/v1/completions")
    p.add_argument("--max-concurrency", type=int, default=None)
    p.add_argument("--model", type=str, required=True)
    p.add_argument("--tokenizer", type=str)
    p.add_argument("--use-beam-search", action="store_true")
    p.add_argument("--logprobs", type=int, default=None)
    p.add_argument("--request-rate", type=float, default=float("inf"))
    p.add_argument("--burstiness", type=float, default=1.0)
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--disable-tqdm", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--save-result", action="store_true")
    p.add_argument("--save-detailed", action="store_true")
    p.add_argument("--append-result", action="store_true")
    p.add_argument("--metadata", metavar="KEY=VALUE", nargs="*")
    p.add_argument("--result-dir", type=str, default=None)
    p.add_argument("--result-filename", type=str, default=None)
    p.add_argument("--ignore-eos", action="store_true")
    p.add_argument("--percentile-metrics", type=str, default="ttft,tpot,itl")
    p.add_argument("--metric-percentiles", type=str, default="99")
    p.add_argument("--goodput", nargs="+", required=False)
    p.add_argument("--request-id-prefix", type=str, required=False, default="benchmark-serving")
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--min-p", type=float, default=None)
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--tokenizer-mode", type=str, default="auto", choices=["auto", "slow", "mistral", "custom"])
    p.add_argument("--served-model-name", type=str, default=None)
    p.add_argument("--lora-modules", nargs="+", default=None)
    p.add_argument("--ramp-up-strategy", type=str, default=None, choices=["linear", "exponential"])
    p.add_argument("--ramp-up-start-rps", type=int, default=None)
    p.add_argument("--ramp-up-end-rps", type=int, default=None)
    p.add_argument("--ready-check-timeout-sec", type=int, default=600)
    return p


class Output:
    def __init__(self):
        self.generated_text = ""
        self.success = False
        self.latency = 0.0
        self.output_tokens = 0
        self.ttft = 0.0
        self.itl = []
        self.prompt_len = 0
        self.error = ""


def completions_request(api_url, model_name, prompt, prompt_len, output_len, ignore_eos, extra_body, request_id, conn_holder):
    """async_request_openai_completions (vllm/benchmarks/lib/endpoint_request_func.py:92-208)."""
    import http.client
    import traceback
    from urllib.parse import urlsplit

    payload = {"model": model_name, "prompt": prompt, "temperature": 0.0, "repetition_penalty": 1.0, "max_tokens": output_len,
               "logprobs": None, "stream": True, "stream_options": {"include_usage": True}}
    if ignore_eos:
        payload["ignore_eos"] = ignore_eos
    if extra_body:
        payload.update(extra_body)
    headers = {"Authorization": "Bearer %s" % os.environ.get("OPENAI_API_KEY"), "Content-Type": "application/json"}
    if request_id:
        headers["x-request-id"] = request_id
    out = Output()
    out.prompt_len = prompt_len
    st = time.perf_counter()
    recent = st
    try:
        u = urlsplit(api_url)
        if conn_holder.get("conn") is None:
            conn_holder["conn"] = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=6 * 60 * 60)
        conn = conn_holder["conn"]
        conn.request("POST", u.path, body=json.dumps(payload), headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            resp.read()
            out.error = resp.reason or ""
            return out
        first = False
        text = ""
        for raw in resp:
            line = raw.decode("utf-8").strip()
            if not line or line.startswith(":"):
                continue
            chunk = line.removeprefix("data: ")
            if chunk == "[DONE]":
                continue
            data = json.loads(chunk)
            if data.get("choices"):
                now = time.perf_counter()
                if not first:
                    first = True
                    out.ttft = now - st
                else:
                    out.itl.append(now - recent)
                recent = now
                text += data["choices"][0].get("text") or ""
            elif data.get("usage"):
                out.output_tokens = data["usage"].get("completion_tokens")
        if first:
            out.success = True
        else:
            out.error = "Never received a valid chunk to calculate TTFT.This response will be marked as failed!"
        out.generated_text = text
        out.latency = recent - st
    except Exception:
        conn_holder["conn"] = None
        out.success = False
        out.error = "".join(traceback.format_exception(*sys.exc_info()))
    return out


def percentile(xs, p):
    """numpy.percentile with linear interpolation."""
    xs = sorted(xs) or [0]
    k = (len(xs) - 1) * p / 100.0
    f = math.floor(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def vllm_cli(args):
    record("vllm", args)
    if "vllm" not in dists():
        print("stand-in: vllm is not installed in this venv (no console script)", file=sys.stderr)
        return 127
    if args[:2] != ["bench", "serve"]:
        print("stand-in: only `vllm bench serve` is modelled", file=sys.stderr)
        return 2
    ns = bench_parser().parse_args(args[2:])
    return bench_serve(ns)


def bench_serve(args):
    """main_async and benchmark of vllm/benchmarks/serve.py (0.10.2), requests in threads."""
    import random
    from concurrent.futures import ThreadPoolExecutor
    from datetime import datetime

    print(args)
    random.seed(args.seed)
    model_id = args.model
    model_name = args.served_model_name
    tokenizer_id = args.tokenizer if args.tokenizer is not None else args.model
    if args.base_url is not None:
        api_url = "%s%s" % (args.base_url, args.endpoint)
    else:
        api_url = "http://%s:%s%s" % (args.host, args.port, args.endpoint)
    # get_tokenizer -> AutoTokenizer.from_pretrained: a local folder, or the Hugging Face cache.
    if not os.path.isdir(tokenizer_id) and not os.path.isdir(model_cache_dir(tokenizer_id)):
        offline = os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")
        raise OSError(
            "We couldn't connect to 'https://huggingface.co' to load the files, and couldn't find them in the cached files. "
            "Checkout your internet connection or see how to run the library in offline mode. (stand-in: %s not in %s%s)"
            % (tokenizer_id, hub_cache(), ", HF_HUB_OFFLINE" if offline else ", and the stand-in never downloads"))
    if args.dataset_name != "random":
        raise ValueError("stand-in: only the random dataset is modelled")
    if not 0.0 <= args.random_range_ratio < 1.0:
        raise ValueError("range_ratio must be in [0, 1).")
    rng = random.Random(args.seed)
    requests = []
    for i in range(args.num_prompts):
        offset = rng.randrange(VOCAB)
        words = ["t%d" % ((offset + i + j) % VOCAB) for j in range(args.random_input_len)]
        requests.append((" ".join(words), len(words), args.random_output_len, args.request_id_prefix + str(i)))
    sampling = {k: v for k, v in {"top_p": args.top_p, "top_k": args.top_k, "min_p": args.min_p, "temperature": args.temperature}.items() if v is not None}
    if sampling and args.backend not in ("vllm", "openai", "openai-chat"):
        raise ValueError("Sampling parameters are only supported by openai-compatible backends.")
    if "temperature" not in sampling:
        sampling["temperature"] = 0.0  # Default to greedy decoding.
    if args.endpoint_type not in ("vllm", "openai"):
        raise ValueError("stand-in: only the completions request function is modelled")
    assert api_url.endswith(("completions", "profile")), "OpenAI Completions API URL must end with 'completions' or 'profile'."

    print("Starting initial single prompt test run...")
    # wait_for_endpoint (lib/ready_checker.py:14-72): retry every 5 s until the deadline.
    deadline = time.perf_counter() + args.ready_check_timeout_sec
    print("Waiting for endpoint to become up in %d seconds" % args.ready_check_timeout_sec)
    test = Output()
    while True:
        if deadline - time.perf_counter() <= 0:
            break
        test = completions_request(api_url, model_name or model_id, requests[0][0], requests[0][1], requests[0][2], args.ignore_eos, sampling, None, {})
        if test.success:
            break
        time.sleep(max(0, min(5, deadline - time.perf_counter())))
    if not test.success:
        raise ValueError("Initial test run failed - Please make sure benchmark arguments are correctly specified. Error: %s" % test.error)
    print("Initial test run completed. Starting main benchmark run...")
    print("Traffic request rate: %s" % args.request_rate)
    print("Burstiness factor: %s (%s)" % (args.burstiness, "Poisson process" if args.burstiness == 1.0 else "Gamma distribution"))
    print("Maximum request concurrency: %s" % args.max_concurrency)

    local = threading.local()

    def one(r):
        if not hasattr(local, "holder"):
            local.holder = {}
        return completions_request(api_url, model_name or model_id, r[0], r[1], r[2], args.ignore_eos, sampling, r[3], local.holder)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.max_concurrency or len(requests)) as pool:
        futures = []
        for r in requests:
            if args.request_rate != float("inf"):
                time.sleep(random.expovariate(args.request_rate))
            futures.append(pool.submit(one, r))
        outputs = [f.result() for f in futures]
    duration = time.perf_counter() - start

    # calculate_metrics (serve.py:267-367)
    completed, total_input, lens, tpots, itls, ttfts, e2els = 0, 0, [], [], [], [], []
    for r, o in zip(requests, outputs):
        if o.success:
            n = o.output_tokens or len(o.generated_text.split())
            lens.append(n)
            total_input += r[1]
            if n > 1:
                tpots.append((o.latency - o.ttft) / (n - 1))
            itls += o.itl
            ttfts.append(o.ttft)
            e2els.append(o.latency)
            completed += 1
        else:
            lens.append(0)
    if completed == 0:
        print("UserWarning: All requests failed. This is likely due to a misconfiguration on the benchmark arguments.", file=sys.stderr)
    total_output = sum(lens)
    print("{s:{c}^{n}}".format(s=" Serving Benchmark Result ", n=50, c="="))
    print("{:<40} {:<10}".format("Successful requests:", completed))
    if args.max_concurrency is not None:
        print("{:<40} {:<10}".format("Maximum request concurrency:", args.max_concurrency))
    print("{:<40} {:<10.2f}".format("Benchmark duration (s):", duration))
    print("{:<40} {:<10}".format("Total input tokens:", total_input))
    print("{:<40} {:<10}".format("Total generated tokens:", total_output))
    print("{:<40} {:<10.2f}".format("Request throughput (req/s):", completed / duration))
    print("{:<40} {:<10.2f}".format("Output token throughput (tok/s):", total_output / duration))
    print("{:<40} {:<10.2f}".format("Total Token throughput (tok/s):", (total_input + total_output) / duration))
    result = {
        "duration": duration, "completed": completed, "total_input_tokens": total_input, "total_output_tokens": total_output,
        "request_throughput": completed / duration, "request_goodput": None, "output_throughput": total_output / duration,
        "total_token_throughput": (total_input + total_output) / duration,
        "input_lens": [o.prompt_len for o in outputs], "output_lens": lens, "ttfts": [o.ttft for o in outputs],
        "itls": [o.itl for o in outputs], "generated_texts": [o.generated_text for o in outputs], "errors": [o.error for o in outputs],
    }
    selected = args.percentile_metrics.split(",")
    percentiles = [float(p) for p in args.metric_percentiles.split(",")]
    for name, xs in (("ttft", ttfts), ("tpot", tpots), ("itl", itls), ("e2el", e2els)):
        if name not in selected:
            continue
        xs = xs or [0]
        result["mean_%s_ms" % name] = statistics.fmean(xs) * 1000
        result["median_%s_ms" % name] = statistics.median(xs) * 1000
        result["std_%s_ms" % name] = statistics.pstdev(xs) * 1000
        for p in percentiles:
            word = str(int(p)) if int(p) == p else str(p)
            result["p%s_%s_ms" % (word, name)] = percentile(xs, p) * 1000
    print("=" * 50)

    # main_async (serve.py:1169-1249)
    now = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = {"date": now, "endpoint_type": args.endpoint_type, "label": args.label, "model_id": model_id, "tokenizer_id": tokenizer_id,
           "num_prompts": args.num_prompts}
    for item in args.metadata or []:
        if "=" not in item:
            raise ValueError("Invalid metadata format. Please use KEY=VALUE format.")
        k, v = item.split("=")[:2]
        out[k.strip()] = v.strip()
    out["request_rate"] = args.request_rate if args.request_rate < float("inf") else "inf"
    out["burstiness"] = args.burstiness
    out["max_concurrency"] = args.max_concurrency
    out.update(result)
    if not args.save_detailed:
        for field in ("input_lens", "output_lens", "ttfts", "itls", "generated_texts", "errors"):
            out.pop(field, None)
    if args.save_result or args.append_result:
        base = model_id.split("/")[-1]
        conc = "-concurrency%d" % args.max_concurrency if args.max_concurrency is not None else ""
        name = "%s-%sqps%s-%s-%s.json" % (args.label or args.endpoint_type, args.request_rate, conc, base, now)
        if args.result_filename:
            name = args.result_filename
        if args.result_dir:
            os.makedirs(args.result_dir, exist_ok=True)
            name = os.path.join(args.result_dir, name)
        with open(name, "a+" if args.append_result else "w", encoding="utf-8") as f:
            if args.append_result and f.tell() != 0:
                f.write("\n")
            json.dump(out, f)
    return 0


# --- pip -------------------------------------------------------------------------------------


class PipError(Exception):
    pass


def pip(args):
    record("pip", args)
    if not args or args[0] != "install":
        return 0
    opts = {"index": PYPI, "extra": [], "pre": False, "no_deps": False, "upgrade": False, "isolation": True}
    reqs = []
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("--index-url", "-i"):
            opts["index"] = args[i + 1].rstrip("/")
            i += 1
        elif a == "--extra-index-url":
            opts["extra"].append(args[i + 1].rstrip("/"))
            i += 1
        elif a == "--pre":
            opts["pre"] = True
        elif a == "--no-deps":
            opts["no_deps"] = True
        elif a in ("--upgrade", "-U"):
            opts["upgrade"] = True
        elif a == "--no-build-isolation":
            opts["isolation"] = False
        elif a in ("-q", "--quiet", "-v"):
            pass
        elif a.startswith("-"):
            print("pip stand-in: unsupported option %s" % a, file=sys.stderr)
            return 2
        else:
            reqs.append(a)
        i += 1
    installed = dists()
    try:
        for r in reqs:
            if r.startswith("/") or r.startswith("."):
                build_local(r, opts, installed)
            else:
                resolve(r, opts, installed, [opts["index"], *opts["extra"]])
    except PipError as e:
        print("ERROR: %s" % e, file=sys.stderr)
        write_json(DISTS, installed)
        return 1
    write_json(DISTS, installed)
    return 0


def resolve(req, opts, installed, indexes, top=True):
    name, specs = parse_requirement(req)
    have = installed.get(name)
    if have is not None and not opts["upgrade"] and satisfies(have, specs, True):
        print("Requirement already satisfied: %s in /opt/vllm/lib/python3.12/site-packages (%s)" % (req, have))
        return
    candidates = []
    for index in indexes:
        for v in UNIVERSE.get(index, {}).get(name, []):
            if satisfies(v, specs, opts["pre"]):
                candidates.append((Version(v).key(), v, index))
    if not candidates:
        raise PipError("Could not find a version that satisfies the requirement %s (from the index %s)" % (req, " ".join(indexes)))
    _, version, index = max(candidates)
    append_json(PIP_LOG, {"event": "download", "name": name, "version": version, "index": index})
    if have is not None:
        append_json(PIP_LOG, {"event": "uninstall", "name": name, "version": have})
        print("Successfully uninstalled %s-%s" % (name, have))
    installed[name] = version
    print("Successfully installed %s-%s" % (name, version))
    if not opts["no_deps"]:
        for dep in dependencies(name, version):
            resolve(dep, {**opts, "upgrade": False}, installed, indexes, False)


def build_local(path, opts, installed):
    """`pip install DIR` of a FlashInfer checkout."""
    try:
        with open(os.path.join(path, "version.txt"), encoding="utf-8") as f:
            version = f.read().strip()
    except FileNotFoundError:
        raise PipError("Directory '%s' is not installable. Neither 'setup.py' nor 'pyproject.toml' found." % path)
    if opts["isolation"]:
        # An isolated build environment gets the newest matching build requirements from PyPI:
        # [build-system] requires, then custom_backend's get_requires_for_build_wheel.
        env = {}
        for r in ("setuptools>=77", "packaging>=24", "torch", "ninja", "numpy", "requests"):
            name, specs = parse_requirement(r)
            best = max((Version(v).key(), v) for v in UNIVERSE[PYPI][name] if satisfies(v, specs, False))[1]
            env[name] = best
            append_json(PIP_LOG, {"event": "download", "name": name, "version": best, "index": PYPI, "build_env": True})
    else:
        st = installed.get("setuptools")
        if st is None:
            raise PipError("pip._vendor.pyproject_hooks._impl.BackendUnavailable: Cannot import 'custom_backend' (No module named 'setuptools')")
        if not satisfies(st, [(">=", "77")], True):
            print("ValueError: invalid pyproject.toml config: `project.license`.", file=sys.stderr)
            print("configuration error: `project.license` must be valid exactly by one definition (2 matches found):", file=sys.stderr)
            raise PipError("metadata-generation-failed (setuptools %s)" % st)
    for sub in ("3rdparty/cutlass", "3rdparty/spdlog"):
        if not os.path.isdir(os.path.join(path, sub, "include")):
            raise PipError("stand-in: %s is not checked out (git submodule update --init): the wheel would ship without its headers and FlashInfer's JIT would fail at vLLM's start" % sub)
    append_json(PIP_LOG, {"event": "build", "name": "flashinfer-python", "version": version, "path": path})
    have = installed.get("flashinfer-python")
    if have is not None:
        append_json(PIP_LOG, {"event": "uninstall", "name": "flashinfer-python", "version": have})
    installed["flashinfer-python"] = version
    print("Successfully installed flashinfer-python-%s" % version)
    if not opts["no_deps"]:
        for dep in dependencies("flashinfer-python", version):
            resolve(dep, {**opts, "upgrade": False}, installed, [opts["index"], *opts["extra"]], False)


# --- git, apt, dpkg, wget, nvidia-smi, nvcc ----------------------------------------------------

SUBMODULES = ["3rdparty/cutlass", "3rdparty/composable_kernels", "3rdparty/spdlog"]


def git(args):
    record("git", args)
    repo = None
    if len(args) >= 2 and args[0] == "-C":
        repo, args = args[1], args[2:]
    if args and args[0] == "clone":
        dest = [a for a in args[1:] if not a.startswith("-")][-1]
        os.makedirs(os.path.join(dest, ".git"), exist_ok=True)
    elif args and args[0] == "checkout" and repo:
        ref = args[-1]
        m = re.fullmatch(r"(?:refs/tags/)?v(.+)", ref)
        if not m:
            print("git stand-in: unknown ref %s" % ref, file=sys.stderr)
            return 1
        with open(os.path.join(repo, "version.txt"), "w", encoding="utf-8") as f:
            f.write(m.group(1) + "\n")
    elif args[:2] == ["submodule", "update"] and repo:
        paths = [a for a in args[2:] if not a.startswith("-")] or SUBMODULES
        for p in paths:
            if p not in SUBMODULES:
                print("error: pathspec '%s' did not match any file(s) known to git" % p, file=sys.stderr)
                return 1
            os.makedirs(os.path.join(repo, p, "include"), exist_ok=True)
    return 0


def apt_get(args):
    record("apt-get", args)
    if args and args[0] == "install":
        installed = set(read_json(PACKAGES, []))
        for a in args[1:]:
            if a.startswith("-"):
                continue
            installed.add(a)
            m = re.fullmatch(r"cuda-toolkit-(\d+)-(\d+)", a)
            if m:
                bin_dir = "/usr/local/cuda-%s.%s/bin" % m.groups()
                os.makedirs(bin_dir, exist_ok=True)
                if not os.path.lexists(os.path.join(bin_dir, "nvcc")):
                    os.symlink(SELF, os.path.join(bin_dir, "nvcc"))
        write_json(PACKAGES, sorted(installed))
    return 0


def dpkg(args):
    record("dpkg", args)
    return 0


def dpkg_query(args):
    record("dpkg-query", args)
    pkg = args[-1] if args else ""
    if "-W" in args and pkg in read_json(PACKAGES, []):
        fmt = next((a[3:] for a in args if a.startswith("-f=")), "${Package}\t${Version}\n")
        sys.stdout.write(fmt.replace("${Status}", "install ok installed").replace("${Package}", pkg).replace("${Version}", "1.0"))
        return 0
    os.execv("/usr/bin/dpkg-query", ["dpkg-query", *args])


def wget(args):
    record("wget", args)
    out = args[args.index("-O") + 1] if "-O" in args else None
    url = [a for a in args if "://" in a][-1]
    if out is None:
        return 0
    m = re.search(r"NVIDIA-Linux-x86_64-([0-9.]+)\.run$", url)
    with open(out, "w", encoding="utf-8") as f:
        if m:
            f.write('#!/bin/sh\nexec %s nvidia-installer %s "$@"\n' % (SELF, m.group(1)))
        else:
            f.write("stand-in download of %s\n" % url)
    return 0


def nvidia_installer(args):
    version, rest = args[0], args[1:]
    record("nvidia-installer", rest)
    os.makedirs(STATE, exist_ok=True)
    with open(DRIVER, "w", encoding="utf-8") as f:
        f.write(version + "\n")
    return 0


def nvidia_smi(args):
    record("nvidia-smi", args)
    try:
        with open(DRIVER, encoding="utf-8") as f:
            version = f.read().strip()
    except FileNotFoundError:
        print("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", file=sys.stderr)
        return 9
    if "--query-gpu=driver_version" in args:
        sys.stdout.write((version + "\n") * GPUS)
    else:
        sys.stdout.write("NVIDIA-SMI %s   Driver Version: %s   CUDA Version: 13.0\n" % (version, version))
    return 0


def nvcc(args):
    record("nvcc", args)
    m = re.search(r"/cuda-(\d+\.\d+)/", os.path.realpath(os.path.dirname(sys.argv[0])) + "/")
    release = m.group(1) if m else "12.8"
    sys.stdout.write("nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release %s, V%s.93\n" % (release, release))
    return 0


TOOLS = {
    "python": python,
    "pip": pip,
    "vllm": vllm_cli,
    "git": git,
    "apt-get": apt_get,
    "dpkg": dpkg,
    "dpkg-query": dpkg_query,
    "wget": wget,
    "nvidia-installer": nvidia_installer,
    "nvidia-smi": nvidia_smi,
    "nvcc": nvcc,
}

if __name__ == "__main__":
    name = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if name not in TOOLS and args and args[0] in TOOLS:
        name, args = args[0], args[1:]
    if name not in TOOLS:
        print("ct-standin: unknown tool %s" % name, file=sys.stderr)
        sys.exit(2)
    sys.exit(TOOLS[name](args))
