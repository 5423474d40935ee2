/**
 * Secrets of a vLLM server: which names vLLM 0.10.2 reads, what counts as a secret written in the
 * config, where the values live on the host and in the container, and the one line format of the
 * secrets files. The values themselves never enter the compiler: the config declares names
 * (`secrets`), deploy.sh reads the values on the host (emit/templates/deploy.sh.ejs) and
 * `migrate` writes them (cli/migrate-secrets.ts).
 *
 * Sources (vLLM at release commit 26b999c71ab28ae9708329003007979530638f79):
 *  - VLLM_API_KEY: `os.environ.get("VLLM_API_KEY", None)` (vllm/envs.py:400-402); `--api-key`
 *    wins over it and empty keys are dropped: `[key for key in (args.api_key or
 *    [envs.VLLM_API_KEY]) if key]` (vllm/entrypoints/openai/api_server.py:1611-1613), so an empty
 *    `--api-key` turns authentication off even when VLLM_API_KEY is set. Only paths starting with
 *    /v1 are checked (api_server.py:1326-1358, AuthenticationMiddleware).
 *  - HF_TOKEN: vLLM's own look-ups read only HF_TOKEN (vllm/transformers_utils/config.py:42-54,
 *    _get_hf_token); the weight download calls snapshot_download without a token
 *    (vllm/model_executor/model_loader/weight_utils.py:354-362), so huggingface_hub's get_token()
 *    applies, which reads HF_TOKEN, then HUGGING_FACE_HUB_TOKEN (huggingface_hub v0.34.3 =
 *    0bbc5e1b, src/huggingface_hub/utils/_auth.py:115-117). `--hf-token` reaches only the
 *    image-processor config (vllm/config/__init__.py:643-644), not the model download.
 *  - Both `--api-key` and `--hf-token` are printed by the server's `non-default args: ...` log
 *    line (api_server.py:1897 -> vllm/entrypoints/utils.py:304-328): a secret on the argv lands in
 *    the journal as well as in /proc/PID/cmdline.
 *  - systemd 252 (man systemd.exec(5), Environment= and EnvironmentFile=; measured in the test
 *    harness, test/secrets-run.test.ts): `systemctl show` prints Environment= values but only the
 *    paths of EnvironmentFile=; the file is read at each start, its assignments override
 *    Environment=; a missing file (without a '-' prefix) fails the start; systemd does not check
 *    the file's mode; an `export NAME=value` line is ignored and written, value included, to the
 *    journal.
 */
import { DEFAULTS } from '../generated/defaults';

/**
 * vLLM arguments that carry a secret: what it is, why the argument is the wrong place, and the
 * environment variable that carries it instead (with who reads that variable).
 */
export const SECRET_SETTINGS: Readonly<Record<string, { what: string; flagNote: string; env: string; reads: string }>> = {
  api_key: {
    what: 'an API key',
    flagNote: 'vLLM prints --api-key in its "non-default args" log line',
    env: 'VLLM_API_KEY',
    reads: 'vLLM reads the key from VLLM_API_KEY, vllm/envs.py:400-402',
  },
  hf_token: {
    what: 'a Hugging Face token',
    flagNote:
      'vLLM prints --hf-token in its "non-default args" log line, and in 0.10.2 the flag reaches only the image-processor look-up (vllm/config/__init__.py:643-644), not the model download',
    env: 'HF_TOKEN',
    reads: 'vLLM and huggingface_hub read HF_TOKEN: vllm/transformers_utils/config.py:42-54',
  },
};

/** The command-line options of SECRET_SETTINGS, as vllm_args may spell them. */
export function secretOption(token: string): string | undefined {
  const opt = token.startsWith('--') ? token.split('=', 1)[0].replace(/_/g, '-') : '';
  if (opt === '--api-key') return 'api_key';
  if (opt === '--hf-token') return 'hf_token';
  return undefined;
}

/** Names the issue and the field treat as secret by themselves. */
export const SECRET_NAMES: ReadonlySet<string> = new Set(['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'VLLM_API_KEY', 'OPENAI_API_KEY']);

/**
 * An environment variable name that holds a secret: HF_TOKEN, VLLM_API_KEY, and names ending in
 * _TOKEN, _KEY, _SECRET, _PAT (a personal access token), _CREDENTIAL(S), or a password word
 * (PASSWORD, PASSWD, PASSPHRASE, PASS) as the whole name or its last _-separated part.
 */
export function isSecretName(name: string): boolean {
  const n = name.toUpperCase();
  return SECRET_NAMES.has(n) || /(_TOKEN|_KEY|_SECRET|_PAT|_CREDENTIALS?)$/.test(n) || /(^|_)(PASSWORD|PASSWD|PASSPHRASE|PASS)$/.test(n);
}

/**
 * Token shapes by their documented prefixes: Hugging Face user access tokens (hf_), OpenAI-style
 * keys (sk-), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained github_pat_; GitHub
 * docs, "About authentication to GitHub", token prefixes), AWS access key ids (AKIA + 16; AWS IAM
 * user guide, "Manage access keys"), Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-).
 */
const TOKEN_PREFIX = /^(hf_|sk-|gh[pousr]_|github_pat_|xox[abprs]-)\S{4,}|^AKIA[0-9A-Z]{16}$/;
const TOKEN_INSIDE =
  /(^|[^A-Za-z0-9_])(hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})/;
/** A password in a URL's userinfo (RFC 3986 section 3.2.1: scheme://user:password@host). */
const URL_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/;

/** An environment value that looks like a token by its prefix (TOKEN_PREFIX), or a URL carrying a password. */
export function isSecretValue(value: string): boolean {
  return TOKEN_PREFIX.test(value.trim()) || URL_PASSWORD.test(value);
}

/**
 * A token-shaped substring anywhere in a text (a command line, an LXC line, a URL): one of the
 * TOKEN_PREFIX shapes followed by at least 20 token characters (AKIA: exactly 16), or a URL with a
 * password in its userinfo. Narrower than isSecretValue, so that free text such as
 * a model path or a cache folder is not mistaken for a token.
 */
export function containsToken(text: string): boolean {
  return TOKEN_INSIDE.test(text) || URL_PASSWORD.test(text);
}

/**
 * A message with every token-shaped substring (see containsToken) cut to its prefix: the last line
 * of defence for diagnostics that quote a value (a schema pattern error, an unparseable argument).
 */
export function redactTokens(text: string): string {
  return text
    .replace(/(^|[^A-Za-z0-9_])(hf_|sk-|gh[pousr]_|github_pat_|xox[abprs]-)([A-Za-z0-9_-]{20,})/g, '$1$2<redacted>')
    .replace(/(^|[^A-Za-z0-9_])AKIA[0-9A-Z]{16}/g, '$1AKIA<redacted>')
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/g, '$1<redacted>@');
}

/** Where the container's server reads its secrets (EnvironmentFile= of the unit); deploy.sh writes it. */
export const CONTAINER_SECRETS_DIR = '/etc/vllm';
export const CONTAINER_SECRETS_FILE = `${CONTAINER_SECRETS_DIR}/secrets.env`;

/** The host's secrets folder (secrets_dir, default /etc/phoenix/secrets) and the two files deploy.sh reads in it. */
export function secretsDir(doc: { secrets_dir?: string }): string {
  return doc.secrets_dir ?? DEFAULTS.root.secrets_dir;
}
export const SHARED_SECRETS_FILE = 'shared.env';
export function ctidSecretsFile(ctid: string): string {
  return `${ctid}.env`;
}

/**
 * The line format of every secrets file, host and container: `NAME=value`, one per line; blank
 * lines and lines starting with '#' or ';' are comments; a final carriage return is dropped. The
 * value is printable ASCII without a backslash, not starting with a quote and without white space
 * at either end: on that subset systemd 252's EnvironmentFile= reads the value literally (measured:
 * test/secrets-run.test.ts), so the host file, the container file and every reader agree byte for
 * byte. deploy.sh applies the same rules in bash (plain_value in deploy.sh.ejs).
 */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export function plainSecretValue(value: string): boolean {
  return /^[!-~]([ -~]*[!-~])?$/.test(value) && !value.includes('\\') && !/^["']/.test(value);
}

/** Why a value cannot be written to a secrets file, or undefined. Never quotes the value. */
export function secretValueProblem(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (plainSecretValue(value)) return undefined;
  if (/[^ -~]/.test(value)) return 'it holds characters outside printable ASCII (such as a line break or a non-ASCII letter)';
  if (value.includes('\\')) return 'it holds a backslash, which systemd would remove';
  if (/^["']/.test(value)) return 'it starts with a quote, which systemd would remove';
  return 'it starts or ends with white space, which systemd would remove';
}

export interface SecretsFileLine {
  line: number;
  name: string;
  value: string;
}

/**
 * Reads a secrets file: its NAME=value lines, or the first problem (file:line and what is wrong,
 * never a value). The same rules as deploy.sh's read_secrets.
 */
export function parseSecretsFile(text: string): { ok: true; lines: SecretsFileLine[] } | { ok: false; line: number; problem: string } {
  const lines: SecretsFileLine[] = [];
  const seen = new Map<string, number>();
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  for (let i = 0; i < raw.length; i++) {
    const n = i + 1;
    const line = raw[i].replace(/\r$/, '');
    if (/^\s*$/.test(line) || line.startsWith('#') || line.startsWith(';')) continue;
    if (/^export\s/.test(line)) return { ok: false, line: n, problem: EXPORT_PROBLEM };
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) return { ok: false, line: n, problem: 'not a NAME=value line' };
    const [, name, value] = m;
    if (seen.has(name)) return { ok: false, line: n, problem: `${name} is set again (first on line ${seen.get(name)})` };
    seen.set(name, n);
    const why = value === '' ? undefined : secretValueProblem(value);
    if (why) return { ok: false, line: n, problem: `the value of ${name} cannot be read the same by systemd: ${why}` };
    lines.push({ line: n, name, value });
  }
  return { ok: true, lines };
}

const EXPORT_PROBLEM = "an 'export' line: systemd ignores it and writes the whole line, value included, to the journal; write NAME=value";

/** A secrets file's text: NAME=value lines in the given order. */
export function secretsFileText(entries: readonly { name: string; value: string }[]): string {
  return entries.map((e) => `${e.name}=${e.value}\n`).join('');
}
