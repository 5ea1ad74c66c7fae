import { ipVersion } from "../src/util/ip.ts";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { InvalidInputError } from "../src/errors/index.ts";
import { idpHome } from "../src/config/home.ts";
import { describeIssue } from "../src/oci/schemas.ts";
import { Duration, DurationBetween, Glob, NonEmpty, Switch } from "./config-values.ts";

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const PositiveCount = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const ListenAddress = v.pipe(v.string(), v.check((s) => parseListen(s) !== undefined, "must be HOST:PORT, e.g. 127.0.0.1:5000"));
/** A user or group name as written in htpasswd and access rules. */
const Principal = v.pipe(v.string(), v.regex(/^[^\s:]+$/, "must be a name without spaces or colons"));
/** A tag or media type pattern: `*` matches any run of characters. */
const Pattern = v.pipe(v.string(), v.minLength(1, "must not be empty"));

/** Who may do what, by repository pattern (registry/auth/policy.ts evaluates these). */
const AccessRuleSchema = v.pipe(
  v.strictObject({
    repositories: v.pipe(v.array(Glob), v.minLength(1, "must name at least one pattern")),
    /** User names; `*` is every signed-in user. */
    users: v.optional(v.array(Principal)),
    groups: v.optional(v.array(Principal)),
    /** The rule applies to clients without credentials (read only). */
    anonymous: v.optional(v.boolean()),
    actions: v.pipe(v.array(v.picklist(["read", "create", "update", "write", "delete", "*"])), v.minLength(1, "must name at least one action")),
  }),
  v.check((r) => Boolean(r.users?.length || r.groups?.length || r.anonymous), "a rule needs users, groups or anonymous: true"),
  v.check((r) => !r.anonymous || r.actions.every((a) => a === "read"), "anonymous clients may only be given read"),
);

const AuthSchema = v.strictObject({
  /** htpasswd file of bcrypt hashes (`htpasswd -B`); setting it turns authentication on. */
  htpasswd: v.optional(NonEmpty),
  /** `basic`: every request carries the password; `token`: the Docker token flow against idp's own /auth/token. */
  type: v.optional(v.picklist(["basic", "token"]), "basic"),
  /** htpasswd lines with a higher bcrypt cost are refused at startup (each check costs 2^cost). */
  maxBcryptCost: v.optional(v.pipe(v.number(), v.integer(), v.minValue(4), v.maxValue(16)), 14),
  /** Clients without credentials may read every repository. */
  anonymousRead: v.optional(Switch, false),
  /** Groups for access rules: group name → user names. */
  groups: v.optional(v.record(Principal, v.array(Principal)), {}),
  token: v.optional(
    v.strictObject({
      /** PEM private key (EC P-256 → ES256, RSA → RS256). Default: a fresh P-256 key at each start. */
      key: v.optional(NonEmpty),
      issuer: v.optional(NonEmpty, "idp"),
      /** The `service` clients name when asking for a token, and the tokens' audience. */
      service: v.optional(NonEmpty, "idp-registry"),
      ttl: v.optional(DurationBetween(10_000, 3_600_000), "5m"),
      /** Token endpoint URL clients are sent to. Default: /auth/token on the host they asked. */
      realm: v.optional(v.pipe(v.string(), v.url("must be an absolute URL"))),
      /** Token requests (and failed sign-ins) allowed per client address. */
      rateLimit: v.optional(v.strictObject({ requests: v.optional(PositiveCount, 30), per: v.optional(DurationBetween(1000, 86_400_000), "1m") }), {}),
    }),
    {},
  ),
});

const GcSchema = v.strictObject({
  /** Run gc inside the server this often; 0 turns the schedule off. */
  interval: v.optional(Duration, 0),
  /** Content younger than this (by its last link, touch or write) is never collected. */
  grace: v.optional(Duration, "1h"),
  /** Also remove manifests that no tag, index or live subject reaches. */
  deleteUntagged: v.optional(Switch, false),
  /** Upload sessions idle this long are purged (the server checks hourly). */
  uploadsMaxAge: v.optional(DurationBetween(60_000, 365 * 86_400_000), "24h"),
  /** What happens to referrers (signatures, SBOMs) whose subject is gone; first match wins; default delete. */
  referrers: v.optional(v.array(v.strictObject({ artifactType: Pattern, whenSubjectGone: v.picklist(["delete", "keep"]) })), []),
  /** Tags to keep per repository pattern; the others are untagged (then collected like any untagged manifest). */
  retention: v.optional(
    v.array(
      v.strictObject({
        repositories: v.pipe(v.array(Glob), v.minLength(1, "must name at least one pattern")),
        keepNewest: v.optional(Count),
        keepSemver: v.optional(v.boolean(), false),
        keepTags: v.optional(v.array(Pattern), []),
      }),
    ),
    [],
  ),
});

/**
 * Everything `idp serve` can be told, from flags, environment and a YAML file alike. Unknown
 * keys are errors, so a typo never silently falls back to a default.
 */
export const ServeConfigSchema = v.strictObject({
  /** HOST:PORT to listen on; port 0 picks a free one. */
  listen: v.optional(ListenAddress, "127.0.0.1:5000"),
  /** Storage root directory. Default: $IDP_HOME/registry (~/.idp/registry). */
  root: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** `fs` (the default) or `memory` (nothing survives a restart; for tests and demos). */
  storage: v.optional(v.picklist(["fs", "memory"]), "fs"),
  /** Refuse manifests whose blobs or child manifests are missing (MANIFEST_BLOB_UNKNOWN). */
  strictReferences: v.optional(v.boolean(), false),
  limits: v.optional(
    v.strictObject({
      maxManifestBytes: v.optional(PositiveCount, 4 * 1024 * 1024),
      /** 0: no limit. */
      maxBlobBytes: v.optional(Count, 0),
      /** Most bytes the storage root may hold (blobs, manifests, uploads); 0: no limit. */
      maxStorageBytes: v.optional(Count, 0),
      maxTagsPage: v.optional(PositiveCount, 10_000),
      maxCatalogPage: v.optional(PositiveCount, 1_000),
      /** Upload requests streaming at once (POST with a body, PATCH, PUT); more get 429 (d-15). */
      maxConcurrentUploads: v.optional(PositiveCount, 256),
    }),
    {},
  ),
  /** Maintenance mode: reads are served, every write is refused with 405 UNSUPPORTED. */
  readOnly: v.optional(Switch, false),
  /** Serve without authentication on an address other than loopback (else such a start fails). */
  allowAnonymous: v.optional(Switch, false),
  auth: v.optional(AuthSchema, {}),
  /** Access rules; without any, every signed-in user may do everything. */
  access: v.optional(v.array(AccessRuleSchema)),
  /** PEM files; cert and key go together (checked once every source is merged). */
  tls: v.optional(v.strictObject({ cert: v.optional(NonEmpty), key: v.optional(NonEmpty), /** CA bundle client certificates must chain to. */ clientCa: v.optional(NonEmpty) }), {}),
  metrics: v.optional(
    v.strictObject({
      enabled: v.optional(Switch, true),
      /** A separate HOST:PORT for /metrics; without it /metrics answers loopback clients only. */
      listen: v.optional(ListenAddress),
    }),
    {},
  ),
  log: v.optional(
    v.strictObject({
      /** One line per request on stderr. */
      access: v.optional(Switch, true),
      /** `auto`: JSON when stderr is not a terminal. */
      format: v.optional(v.picklist(["auto", "json", "text"]), "auto"),
    }),
    {},
  ),
  gc: v.optional(GcSchema, {}),
});
export type ServeConfig = v.InferOutput<typeof ServeConfigSchema>;
export type ServeConfigInput = v.InferInput<typeof ServeConfigSchema>;

/** Environment variables `idp serve` reads, each mapped onto a config field. */
export const SERVE_ENV = {
  IDP_REGISTRY_LISTEN: "listen",
  IDP_REGISTRY_ROOT: "root",
  IDP_REGISTRY_STORAGE: "storage",
  IDP_REGISTRY_READ_ONLY: "readOnly",
  IDP_REGISTRY_ALLOW_ANONYMOUS: "allowAnonymous",
  IDP_REGISTRY_HTPASSWD: "auth.htpasswd",
  IDP_REGISTRY_AUTH: "auth.type",
  IDP_REGISTRY_ANONYMOUS_READ: "auth.anonymousRead",
  IDP_REGISTRY_TOKEN_KEY: "auth.token.key",
  IDP_REGISTRY_TLS_CERT: "tls.cert",
  IDP_REGISTRY_TLS_KEY: "tls.key",
  IDP_REGISTRY_TLS_CLIENT_CA: "tls.clientCa",
  IDP_REGISTRY_METRICS_LISTEN: "metrics.listen",
  IDP_REGISTRY_LOG_FORMAT: "log.format",
} as const;

/** Flags whose spelling is not the kebab-case of their config path (for error messages). */
export const SERVE_FLAGS: Record<string, string> = {
  "auth.htpasswd": "--htpasswd",
  "auth.type": "--auth",
  "auth.anonymousRead": "--anonymous-read",
  "auth.token.key": "--token-key",
  "gc.deleteUntagged": "--delete-untagged",
  "gc.grace": "--grace",
  "gc.uploadsMaxAge": "--uploads-max-age",
};

function flagName(path: string): string {
  return SERVE_FLAGS[path] ?? `--${path.replace(/\./g, "-").replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
}

/** Sets a dotted `path` in `target`, copying the objects on the way so the input stays untouched. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split(".");
  if (rest.length === 0) {
    target[head!] = value;
    return;
  }
  const current = target[head!];
  const child = current !== null && typeof current === "object" && !Array.isArray(current) ? { ...(current as Record<string, unknown>) } : {};
  setPath(child, rest.join("."), value);
  target[head!] = child;
}

export interface Listen {
  hostname: string;
  port: number;
}

/** Splits HOST:PORT (`[::1]:5000` for IPv6); undefined when malformed. */
export function parseListen(value: string): Listen | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const hostname = match[1] ?? match[2] ?? "";
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  if (match[1] !== undefined && ipVersion(match[1]) !== 6) return undefined;
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Builds the config: defaults, then the YAML file, then environment variables, then flags
 * (later wins). Any invalid field is one InvalidInputError naming the field and its source.
 */
export async function loadServeConfig(sources: {
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  /** By config path: `listen`, `auth.htpasswd`, `gc.grace`… */
  flags?: Partial<Record<keyof ServeConfigInput, unknown>> & Record<string, unknown>;
}): Promise<ServeConfig & { root: string }> {
  const env = sources.env ?? process.env;
  let merged: Record<string, unknown> = {};
  const file = sources.file ?? env.IDP_REGISTRY_CONFIG;
  if (file) {
    const text = await Bun.file(file).text().catch((error: NodeJS.ErrnoException) => {
      throw new InvalidInputError(`config ${file}: cannot read it (${error.code ?? error.message})`);
    });
    let doc: unknown;
    try {
      doc = Bun.YAML.parse(text);
    } catch (error) {
      throw new InvalidInputError(`config ${file}: not valid YAML (${(error as Error).message.replace(/^YAML Parse error: /, "")})`);
    }
    if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
      throw new InvalidInputError(`config ${file}: expected a mapping of settings at the top level`);
    }
    merged = { ...(doc as Record<string, unknown> | null) };
    check(merged, `config ${file}`);
  }
  for (const [name, field] of Object.entries(SERVE_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== "") {
      setPath(merged, field, value);
      check(merged, name, true);
    }
  }
  for (const [field, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) {
      setPath(merged, field, value);
      check(merged, flagName(field), true);
    }
  }
  const config = check(merged, "config");
  checkCombination(config);
  return { ...config, root: resolve(config.root ?? join(idpHome(env), "registry")) };
}

/** Rules across fields, each failure naming the field that needs changing. */
function checkCombination(config: ServeConfig): void {
  const { auth, tls } = config;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new InvalidInputError(`config: ${tls.cert === undefined ? "tls.cert (--tls-cert)" : "tls.key (--tls-key)"} is missing: TLS needs both a certificate and its key`);
  }
  if (tls.clientCa !== undefined && tls.cert === undefined) {
    throw new InvalidInputError("config: tls.clientCa needs tls.cert and tls.key: client certificates are checked only over TLS");
  }
  if (auth.htpasswd !== undefined) return;
  const needsUsers: [string, boolean][] = [
    ["auth.type: token", auth.type === "token"],
    ["auth.anonymousRead", auth.anonymousRead],
    ["access", config.access !== undefined],
    ["auth.groups", Object.keys(auth.groups).length > 0],
  ];
  for (const [field, set] of needsUsers) {
    if (set) throw new InvalidInputError(`config: ${field} needs auth.htpasswd (--htpasswd FILE): without it authentication is off`);
  }
}

/** Validates; a failure names its source, and the field unless the source is that field. */
function check(input: Record<string, unknown>, source: string, sourceIsField = false): ServeConfig {
  const parsed = v.safeParse(ServeConfigSchema, input);
  if (!parsed.success) throw new InvalidInputError(`${source}: ${describeIssue(parsed.issues, { omitPath: sourceIsField })}`);
  return parsed.output;
}
