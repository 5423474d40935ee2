#!/usr/bin/python3
"""Stand-ins for the tools the generated scripts run inside a container, for tests.

One file, installed as /usr/local/lib/phx-standin/ct-standin.py and linked under several names
(the name it is called by picks the tool; `ct-standin.py TOOL ARGS` works too):

  /opt/vllm/bin/python   the venv's python. `-c CODE` runs CODE with stand-in modules vllm, torch
                         and flashinfer whose versions come from the state (what the pip stand-in
                         "installed"); `-m vllm.entrypoints.openai.api_server ARGS` records its
                         argv and environment NUL-separated (like RECORDING_PYTHON in
                         test/lib/real-systemd.ts) and serves a small OpenAI-compatible API (below);
                         anything else runs the real /usr/bin/python3.
  /opt/vllm/bin/pip      records its arguments; `install vllm==X`, `install ... torch ...
                         --index-url .../cuNNN` and `install /opt/flashinfer` set the versions the
                         python stand-in reports (flashinfer from the tag git checked out).
  git                    records; `clone URL DIR` creates DIR/.git; `-C DIR checkout --force
                         refs/tags/vX` remembers the tag.
  apt-get, dpkg          record; `apt-get install PKGS` marks PKGS installed.
  dpkg-query             `-W -f=${Status} PKG` answers for packages apt-get marked installed,
                         otherwise it is the real dpkg-query.
  wget                   records; writes the file given with -O (an NVIDIA .run URL becomes a
                         script that "installs" that driver's userspace).
  nvidia-smi             answers the installed driver version once per GPU, or fails like
                         nvidia-smi without a driver.

Every call is appended as a JSON array [name, args...] (pip adds TORCH_CUDA_ARCH_LIST=... first
when set) to /var/log/phx-standin/calls.jsonl. State lives in /var/lib/phx-standin/.

The server (python -m vllm.entrypoints.openai.api_server): listens on --host/--port, answers
GET /v1/models with the --served-model-name values (or --model), POST /v1/completions with text
and usage.completion_tokens = max_tokens, POST /v1/embeddings with a vector, GET /health; like
vLLM, with --api-key (or VLLM_API_KEY) every /v1 path wants "Authorization: Bearer <key>" (401). Before listening it
prints vLLM 0.10.2's own log lines: the sampler line for VLLM_USE_FLASHINFER_SAMPLER (unset or 1:
on, 0: off), the FP8 KV cache line for --kv-cache-dtype fp8*, and the engine config line with
quantization=fp8 for --quantization fp8. With the sampler off each completion takes 0.25 s longer.
Test switches (environment): PHX_STANDIN_NO_SAMPLER_LINE=1 leaves the sampler line out,
PHX_STANDIN_SERVED_NAME=X serves X instead, PHX_STANDIN_NO_LISTEN=1 never listens,
PHX_STANDIN_LOAD_SECONDS (default 1) is how long "loading the model" takes before the lines after
the engine config line and listening. Each start
appends "<INVOCATION_ID> <pid>" to /var/lib/phx-standin/starts.
"""
import json
import os
import re
import sys
import time
import types

SELF = "/usr/local/lib/phx-standin/ct-standin.py"
STATE = "/var/lib/phx-standin"
CALLS = "/var/log/phx-standin/calls.jsonl"
VERSIONS = os.path.join(STATE, "versions.json")
PACKAGES = os.path.join(STATE, "packages")
DRIVER = os.path.join(STATE, "nvidia-driver")
GPUS = 2

LINE_SAMPLER_ON = "Using FlashInfer for top-p & top-k sampling."
LINE_SAMPLER_OFF = (
    "FlashInfer is available, but it is not enabled. Falling back to the PyTorch-native implementation of "
    "top-p & top-k sampling. For the best performance, please set VLLM_USE_FLASHINFER_SAMPLER=1."
)
LINE_KV_FP8 = "Using fp8 data type to store kv cache. It reduces the GPU memory footprint and boosts the performance."


def record(name, args, prefix=()):
    os.makedirs(os.path.dirname(CALLS), exist_ok=True)
    with open(CALLS, "a", encoding="utf-8") as f:
        f.write(json.dumps([*prefix, name, *args]) + "\n")


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


# --- python ---------------------------------------------------------------------------------


def python(args):
    if len(args) >= 2 and args[0] == "-c":
        record("python", args)
        versions = read_json(VERSIONS, {})
        if "vllm" in versions:
            m = types.ModuleType("vllm")
            m.__version__ = versions["vllm"]
            sys.modules["vllm"] = m
        if "torch_cuda" in versions:
            m = types.ModuleType("torch")
            m.version = types.SimpleNamespace(cuda=versions["torch_cuda"])
            sys.modules["torch"] = m
        if "flashinfer" in versions:
            m = types.ModuleType("flashinfer")
            m.__version__ = versions["flashinfer"]
            sys.modules["flashinfer"] = m
        sys.argv = ["-c", *args[2:]]
        exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
        return 0
    if len(args) >= 2 and args[0] == "-m" and args[1] == "vllm.entrypoints.openai.api_server":
        return serve(args[2:])
    os.execv("/usr/bin/python3", ["/usr/bin/python3", *args])


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


def serve(args):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    record_service()
    env = os.environ
    host = (option(args, "host") or ["0.0.0.0"])[0]
    port = int((option(args, "port") or ["8000"])[0])
    model = (option(args, "model") or ["model"])[0]
    names = option(args, "served-model-name") or [model]
    if env.get("PHX_STANDIN_SERVED_NAME"):
        names = [env["PHX_STANDIN_SERVED_NAME"]]
    sampler_on = env.get("VLLM_USE_FLASHINFER_SAMPLER", "1") != "0"
    api_key = (option(args, "api-key") or [env.get("VLLM_API_KEY")])[0]
    quant = (option(args, "quantization") or [None])[0]
    kv = (option(args, "kv-cache-dtype") or ["auto"])[0]

    def say(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    say(
        "INFO 09-20 12:00:00 [core.py:74] Initializing a V1 LLM engine (v0.10.2) with config: model=%r, "
        "served_model_name=%s, quantization=%s, kv_cache_dtype=%s" % (model, names[0], quant, kv)
    )
    # vLLM loads the model before it says more or listens: a Type=simple unit is "active" long before.
    time.sleep(float(env.get("PHX_STANDIN_LOAD_SECONDS", "1")))
    if kv.startswith("fp8"):
        say("INFO 09-20 12:00:01 [cuda.py:100] " + LINE_KV_FP8)
    if env.get("PHX_STANDIN_NO_SAMPLER_LINE") != "1":
        if sampler_on:
            say("(EngineCore_0 pid=77) INFO 09-20 12:00:02 [topk_topp_sampler.py:50] " + LINE_SAMPLER_ON)
        else:
            say("(EngineCore_0 pid=77) WARNING 09-20 12:00:02 [topk_topp_sampler.py:60] " + LINE_SAMPLER_OFF)
    if env.get("PHX_STANDIN_NO_LISTEN") == "1":
        say("stand-in: not listening (PHX_STANDIN_NO_LISTEN=1)")
        while True:
            time.sleep(3600)

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
                self.reply(200, {})
            else:
                self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            if self.unauthorized():
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                req = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.reply(400, {"error": {"message": "bad JSON", "type": "BadRequestError", "code": 400}})
            if req.get("model") not in names:
                return self.reply(404, {"error": {"message": "The model `%s` does not exist." % req.get("model"), "type": "NotFoundError", "code": 404}})
            if self.path == "/v1/completions":
                n = int(req.get("max_tokens", 16))
                if not sampler_on:
                    time.sleep(0.25)
                text = " Paris" + " and" * max(0, n - 1)
                self.reply(200, {
                    "id": "cmpl-standin", "object": "text_completion", "model": names[0],
                    "choices": [{"index": 0, "text": text, "finish_reason": "length"}],
                    "usage": {"prompt_tokens": 6, "completion_tokens": n, "total_tokens": 6 + n},
                })
            elif self.path == "/v1/embeddings":
                self.reply(200, {
                    "object": "list", "model": names[0],
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3, 0.4]}],
                    "usage": {"prompt_tokens": 3, "total_tokens": 3},
                })
            else:
                self.reply(404, {"detail": "Not Found"})

    server = ThreadingHTTPServer((host, port), Handler)
    say("INFO:     Uvicorn running on http://%s:%d (Press CTRL+C to quit)" % (host, port))
    server.serve_forever()
    return 0


# --- pip, git, apt, dpkg, wget, nvidia-smi ----------------------------------------------------


def pip(args):
    arch = os.environ.get("TORCH_CUDA_ARCH_LIST")
    record("pip", args, ("TORCH_CUDA_ARCH_LIST=" + arch,) if arch else ())
    if not args or args[0] != "install":
        return 0
    versions = read_json(VERSIONS, {})
    for i, a in enumerate(args):
        m = re.fullmatch(r"vllm==(.+)", a)
        if m:
            versions["vllm"] = m.group(1)
        if a == "torch" and "--index-url" in args:
            cu = re.search(r"/cu(\d+)(\d)$", args[args.index("--index-url") + 1].rstrip("/"))
            if cu:
                versions["torch_cuda"] = "%s.%s" % (cu.group(1), cu.group(2))
        if a.startswith("/") and os.path.isdir(os.path.join(a, ".git")):
            try:
                with open(os.path.join(a, ".git", "phx-tag"), encoding="utf-8") as f:
                    versions["flashinfer"] = f.read().strip().lstrip("v")
            except FileNotFoundError:
                print("pip stand-in: %s has no checked-out tag" % a, file=sys.stderr)
                return 1
    write_json(VERSIONS, versions)
    return 0


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
        m = re.fullmatch(r"(?:refs/tags/)?(v.+)", ref)
        if not m:
            print("git stand-in: unknown ref %s" % ref, file=sys.stderr)
            return 1
        with open(os.path.join(repo, ".git", "phx-tag"), "w", encoding="utf-8") as f:
            f.write(m.group(1) + "\n")
    return 0


def apt_get(args):
    record("apt-get", args)
    if args and args[0] == "install":
        installed = set(read_json(PACKAGES, []))
        installed.update(a for a in args[1:] if not a.startswith("-"))
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


TOOLS = {
    "python": python,
    "pip": pip,
    "git": git,
    "apt-get": apt_get,
    "dpkg": dpkg,
    "dpkg-query": dpkg_query,
    "wget": wget,
    "nvidia-installer": nvidia_installer,
    "nvidia-smi": nvidia_smi,
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
