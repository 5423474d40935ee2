/**
 * Stage 4, check secrets: out/ is committed, so a secret value written anywhere in the config is
 * an error that says how to move it (PHX040), and the `secrets` declaration (names only) must name
 * variables the server can receive through the unit's EnvironmentFile= (PHX041). Every rule reads
 * one CTID's own keys (each layer of a clone chain is checked as its own CTID), and no message
 * ever quotes a value. The facts behind the rules are in compiler/vllm/secrets.ts.
 */
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { Reporter } from '../diagnostics';
import type { ResolvedContainer } from '../resolve';
import type { PathSeg } from '../util/jsonpath';
import { nearest } from '../util/suggest';
import { catalogFor, VLLM_APP_SCRIPT } from '../vllm/catalog';
import { installOf, MANAGED_ENV, runsVllm, serviceOf } from '../vllm/settings';
import {
  containsToken,
  ctidSecretsFile,
  isSecretName,
  isSecretValue,
  SECRET_NAME,
  SECRET_NAMES as KNOWN_SECRET_ENV,
  SECRET_SETTINGS,
  secretOption,
  secretsDir,
  SHARED_SECRETS_FILE,
} from '../vllm/secrets';

interface SecretCheck {
  doc: PhoenixLxcConfigs;
  rc: ResolvedContainer;
  r: Reporter;
  /** Paths already reported as a written secret (the generic token scan skips them). */
  reported: Set<string>;
  at(...rest: PathSeg[]): PathSeg[];
}

const RULES: ((c: SecretCheck) => void)[] = [
  secretEngineArguments,
  secretLegacyArgs,
  secretServiceEnvironment,
  secretLxcEnvironment,
  secretsDeclaration,
  tokenAnywhere,
];

/** Checks one CTID's own keys for written secrets, and its secrets declaration. */
export function checkSecrets(doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  const c: SecretCheck = { doc, rc, r, reported: new Set(), at: (...rest) => ['lxc_configs', rc.ctid, ...rest] };
  for (const rule of RULES) rule(c);
}

/**
 * Token-shaped text in the top-level keys (a URL with a token in it, a folder): out/ carries them
 * too (create.sh, the feature scripts).
 */
export function checkTopLevelSecrets(doc: PhoenixLxcConfigs, r: Reporter): void {
  for (const key of Object.keys(doc)) {
    if (key === 'lxc_configs') continue;
    walkStrings((doc as unknown as Record<string, unknown>)[key], [key], (path) =>
      r.report(
        'error',
        'PHX040',
        path,
        'this text holds what looks like a token or a password (hf_..., sk-..., ghp_..., AKIA..., or user:password@ in a URL); out/ is committed: keep secrets in the host secrets files',
      ),
    );
  }
}

/** Calls found(path) for every string under `v` that holds a token-shaped substring. */
function walkStrings(v: unknown, path: PathSeg[], found: (path: PathSeg[]) => void): void {
  if (typeof v === 'string') {
    if (containsToken(v)) found(path);
  } else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, [...path, i], found));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walkStrings((v as Record<string, unknown>)[k], [...path, k], found);
}

/** How to move a secret: the declaration and the host file line (README, Secrets). */
function howToMove(c: SecretCheck, env: string, reads?: string): string {
  const dir = secretsDir(c.doc);
  const vllm = runsVllm(c.rc.effective);
  return (
    `out/ is committed, so declare it instead: "secrets": ["${env}"] in ${vllm ? `CTID ${c.rc.ctid}` : 'each container that runs vLLM with it'}` +
    (reads ? ` (${reads})` : '') +
    `, and write the line ${env}=<value> into ${dir}/${vllm ? ctidSecretsFile(c.rc.ctid) : '<CTID>.env'} (or ${dir}/${SHARED_SECRETS_FILE}) on the host, mode 0600; ` +
    '`phoenix-compile migrate --secrets-dir DIR --write` moves it for you'
  );
}

function reportSecret(c: SecretCheck, path: PathSeg[], message: string, key = false): void {
  c.reported.add(JSON.stringify(path));
  c.r.report('error', 'PHX040', path, message, { key });
}

/** A value of --api-key: empty ones are dropped by vLLM (api_server.py:1611-1613). */
function nonEmptyKeys(value: unknown): unknown[] {
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '' && v !== null && v !== undefined);
}

/** What to say about api_key / hf_token written as a vLLM argument (value never quoted). */
function settingMessage(c: SecretCheck, dest: string, value: unknown): string | undefined {
  const s = SECRET_SETTINGS[dest];
  if (dest === 'api_key') {
    const keys = nonEmptyKeys(value);
    if (keys.length === 0)
      return (
        'an empty api_key turns authentication off, and it overrides VLLM_API_KEY: vLLM keeps only the non-empty keys of --api-key, ' +
        'or of VLLM_API_KEY when --api-key is absent (vllm/entrypoints/openai/api_server.py:1611-1613); remove it, and declare ' +
        '"secrets": ["VLLM_API_KEY"] to require a key'
      );
    const several = keys.length > 1 ? ` (VLLM_API_KEY holds one key; keep one of the ${keys.length})` : '';
    return `${s.what} written in the config: ${s.flagNote}; ${howToMove(c, s.env, s.reads)}${several}`;
  }
  if (typeof value !== 'string') return undefined; // --hf-token without a value: not a secret (PHX021 says the rest)
  return `${s.what} written in the config: ${s.flagNote}; ${howToMove(c, s.env, s.reads)}`;
}

/** api_key / hf_token in vllm_engine_config (any group) or vllm_parameters. */
function secretEngineArguments(c: SecretCheck): void {
  const own = c.rc.own;
  const groups = (own.vllm_engine_config ?? {}) as Record<string, Record<string, unknown>>;
  const places: [PathSeg[], Record<string, unknown>][] = Object.keys(groups).map((g) => [['vllm_engine_config', g], groups[g] ?? {}]);
  if (own.vllm_parameters) places.push([['vllm_parameters'], own.vllm_parameters as Record<string, unknown>]);
  for (const [base, obj] of places) {
    for (const key of Object.keys(obj)) {
      if (!(key in SECRET_SETTINGS)) continue;
      const message = settingMessage(c, key, obj[key]);
      if (message) reportSecret(c, c.at(...base, key), message, true);
    }
  }
}

/** --api-key / --hf-token (also --opt=value and underscore spellings) in the legacy vllm_args. */
function secretLegacyArgs(c: SecretCheck): void {
  const args = c.rc.own.vllm_args ?? [];
  for (let i = 0; i < args.length; i++) {
    const dest = secretOption(args[i]);
    if (!dest) continue;
    const eq = args[i].indexOf('=');
    const values: string[] = [];
    if (eq > 0) values.push(args[i].slice(eq + 1));
    else for (let j = i + 1; j < args.length && !args[j].startsWith('--'); j++) values.push(args[j]);
    const message = settingMessage(c, dest, dest === 'api_key' ? values : (values[0] ?? true));
    if (message) {
      reportSecret(c, c.at('vllm_args', i), message);
      for (let j = 1; j <= (eq > 0 ? 0 : values.length); j++) c.reported.add(JSON.stringify(c.at('vllm_args', i + j)));
    }
  }
}

/**
 * vllm_service.environment: the unit is world-readable and `systemctl show` prints Environment=
 * values (systemd.exec(5), Environment=: "exposed to unprivileged clients via D-Bus IPC"). A
 * non-empty value of a secret name, or a token-shaped value under any name, is refused.
 */
function secretServiceEnvironment(c: SecretCheck): void {
  const env = c.rc.own.vllm_service?.environment ?? {};
  for (const name of Object.keys(env)) {
    const value = env[name];
    if (value === '' || !(isSecretName(name) || isSecretValue(value))) continue;
    const why = isSecretName(name)
      ? `${name} holds a secret`
      : `the value of ${name} looks like a token or a password (hf_..., sk-..., ghp_..., AKIA..., or user:password@ in a URL)`;
    reportSecret(
      c,
      c.at('vllm_service', 'environment', name),
      `${why}: the unit's Environment= would carry it, and \`systemctl show\` prints those values to any user; ${howToMove(c, name)}`,
    );
  }
}

/** lxc.environment lines in lxc_options: they go into create.sh (out/) and the CTID's .conf. */
function secretLxcEnvironment(c: SecretCheck): void {
  const lines = c.rc.own.lxc_options ?? [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^lxc\.environment(\.[a-z]+)? *[:=] *([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(lines[i]);
    if (!m || m[3] === '' || !(isSecretName(m[2]) || isSecretValue(m[3]))) continue;
    reportSecret(c, c.at('lxc_options', i), `an lxc.environment line sets the secret ${m[2]}: create.sh in out/ would carry its value; ${howToMove(c, m[2])}`);
  }
}

/**
 * The declaration itself: environment variable names (never values), each once, that the unit
 * does not also set or unset, and that vLLM reads.
 */
function secretsDeclaration(c: SecretCheck): void {
  const names = c.rc.own.secrets;
  if (names === undefined) return;
  const seen = new Map<string, number>();
  const valid: [string, number][] = [];
  names.forEach((name, i) => {
    const at = c.at('secrets', i);
    const upper = name.toUpperCase();
    if (name !== upper && KNOWN_SECRET_ENV.has(upper)) {
      c.r.report('error', 'PHX041', at, `environment variable names are case-sensitive: did you mean ${upper}? (the name vLLM and huggingface_hub read)`);
    } else if (containsToken(name) || isSecretValue(name) || name.includes('=')) {
      reportSecret(c, at, 'this looks like a secret value, not a name: secrets lists names only (such as HF_TOKEN); the value goes into the host secrets file');
    } else if (!SECRET_NAME.test(name)) {
      c.r.report('error', 'PHX041', at, "is not an environment variable name: letters, digits and '_', not starting with a digit");
    } else if (seen.has(name)) {
      c.r.report('error', 'PHX041', at, `${name} is declared twice (also item ${seen.get(name)})`);
    } else {
      seen.set(name, i);
      valid.push([name, i]);
    }
  });
  const eff = c.rc.effective;
  if (!runsVllm(eff)) {
    if (names.length)
      c.r.report(
        'warning',
        'PHX041',
        c.at('secrets'),
        `secrets go to the vLLM server's unit, and this CTID runs none (its application_script is not ${VLLM_APP_SCRIPT}); nothing uses them`,
        { key: true },
      );
    return;
  }
  const install = installOf(eff);
  const idx = catalogFor(install.vllm_version);
  const service = serviceOf(eff);
  // VLLM_ATTENTION_BACKEND may be set by the compiler itself (compiler/vllm/backend.ts): never a secret.
  const setByUnit = new Set([...MANAGED_ENV, ...Object.keys(service.environment ?? {}), 'VLLM_ATTENTION_BACKEND']);
  const unset = new Set<string>(service.unset_environment ?? []);
  for (const [name, i] of valid) {
    const at = c.at('secrets', i);
    if (setByUnit.has(name))
      c.r.report(
        'error',
        'PHX041',
        at,
        `${name} is also set by the unit (Environment=); the secrets file, read with EnvironmentFile=, would override it (systemd.exec(5): "Settings from these files override settings made with Environment=")`,
      );
    else if (unset.has(name))
      c.r.report(
        'error',
        'PHX041',
        at,
        `${name} is in vllm_service.unset_environment; systemd applies UnsetEnvironment= last, so the server would never see the secret`,
      );
    else if (name === 'HUGGING_FACE_HUB_TOKEN')
      c.r.report(
        'warning',
        'PHX041',
        at,
        "huggingface_hub reads HUGGING_FACE_HUB_TOKEN only when HF_TOKEN is unset (_auth.py:115-117 at v0.34.3), and vLLM's own look-ups read only HF_TOKEN (vllm/transformers_utils/config.py:42-54); declare HF_TOKEN",
      );
    else if (name === 'OPENAI_API_KEY')
      c.r.report(
        'warning',
        'PHX041',
        at,
        "vLLM's server does not read OPENAI_API_KEY; it requires the key in VLLM_API_KEY (vllm/envs.py:400-402); declare VLLM_API_KEY",
      );
    else if (name.startsWith('VLLM_') && idx && !idx.envNames.has(name)) {
      const guess = nearest(name, idx.envNames);
      c.r.report(
        'error',
        'PHX041',
        at,
        `${name} is not an environment variable of vLLM ${idx.catalog.vllm_version}` + (guess ? `; did you mean ${guess}?` : ''),
      );
    }
  }
}

/**
 * A token-shaped string (hf_ or sk- and 20 or more token characters) anywhere else in the CTID's
 * own keys: a health check command, an LXC line, a URL.
 */
function tokenAnywhere(c: SecretCheck): void {
  walkStrings(c.rc.own, c.at(), (path) => {
    if (!path.some((_, i) => c.reported.has(JSON.stringify(path.slice(0, i + 1)))))
      reportSecret(
        c,
        path,
        `this text holds what looks like a token or a password (hf_..., sk-..., ghp_..., AKIA..., or user:password@ in a URL); ${howToMove(c, '<NAME>')}`,
      );
  });
}
