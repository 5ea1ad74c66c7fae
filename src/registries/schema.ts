import * as v from "valibot";
import { isValidRepositoryName } from "../oci/names.ts";
import { parseSize } from "../config/units.ts";
import { PROVIDER_KINDS, parseRegistryUrl } from "./url.ts";

export { PROVIDER_KINDS, parseRegistryUrl, type ProviderKind, type RegistryUrl } from "./url.ts";

/**
 * `registries.yaml`: named registries and the client's cache settings. One schema, the
 * source of the types below; docs/registries.md documents every field.
 *
 * @example
 * version: 1
 * default: corp
 * cache:
 *   maxSize: 20GiB
 * registries:
 *   corp:
 *     url: https://harbor.example.com
 *     provider: harbor
 *     namespace: platform
 *     credentials:
 *       username: robot$platform+ci
 *       passwordEnv: CORP_REGISTRY_TOKEN
 *     mirrors: [local]
 *   local:
 *     url: http://127.0.0.1:5000
 */


/**
 * A registry name: lower-case letters, digits, `-` and `_`, never `.` or `:`, so that it can
 * never be mistaken for a host in a reference (`corp/app:v1` vs `corp.io/app:v1`).
 */
export const RegistryNameSchema = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/, "must be lower-case letters, digits, '-' and '_' (no '.' or ':'), at most 63, starting and ending with a letter or digit"),
  v.check((name) => name !== "localhost", "localhost is a host name, not a registry name"),
);

/** `https://host[:port]`, `http://host:port` or `host[:port]`; at most a `/v2` path. */
export const RegistryUrlSchema = v.pipe(
  v.string(),
  v.check((text) => parseRegistryUrl(text) !== undefined, "must be a registry URL like https://registry.example.com or host:port (no path, query or user)"),
);

const EnvNameSchema = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"));

/** Where the secret comes from; at most one source, and none means `idp login`/Docker's config. */
export const CredentialsSchema = v.pipe(
  v.strictObject({
    /** Not a secret: the user name sent with the secret. */
    username: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** The secret itself: stored only when the user insists (`--store-secret`); the file is then 0600. */
    password: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** Name of the environment variable holding the password or token. */
    passwordEnv: v.optional(EnvNameSchema),
    /** File holding the password or token (its first line). */
    passwordFile: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** A Docker credential helper: `docker-credential-<helper>` (e.g. ecr-login, pass). */
    helper: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/, "must be a credential helper name like ecr-login"))),
    /** ECR: an authorization token from the AWS credential chain. */
    aws: v.optional(v.strictObject({ profile: v.optional(v.pipe(v.string(), v.minLength(1))) })),
    /** ACR: an Azure AD access token (from this variable) exchanged for a registry refresh token. */
    azure: v.optional(v.strictObject({ tokenEnv: EnvNameSchema, tenant: v.optional(v.pipe(v.string(), v.minLength(1))) })),
  }),
  v.check(
    (c) => SECRET_SOURCES.filter((key) => c[key] !== undefined).length <= 1,
    "give at most one of password, passwordEnv, passwordFile, helper, aws and azure",
  ),
);
export type CredentialsConfig = v.InferOutput<typeof CredentialsSchema>;
export const SECRET_SOURCES = ["password", "passwordEnv", "passwordFile", "helper", "aws", "azure"] as const;

export const TlsSchema = v.strictObject({
  /** Skip certificate verification (and allow plain HTTP to non-loopback hosts). */
  insecure: v.optional(v.boolean()),
  /** Plain HTTP; loopback hosts use it by default. */
  plainHttp: v.optional(v.boolean()),
  /** PEM bundle to trust besides the system roots. */
  caFile: v.optional(v.pipe(v.string(), v.minLength(1))),
});
export type TlsConfig = v.InferOutput<typeof TlsSchema>;

const NamespaceSchema = v.pipe(v.string(), v.check(isValidRepositoryName, "must be a repository path like team or org/team (lower-case)"));

/** Provider-specific settings; each is documented with the provider that reads it. */
export const OptionsSchema = v.strictObject({
  /** Base URL of the provider's API when it is not the default (Docker Hub, GitHub, ECR endpoints, or a proxy). */
  api: v.optional(RegistryUrlSchemaLoose()),
  /** ECR: the AWS region (default: from the registry host). */
  region: v.optional(v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region like eu-west-1"))),
  /** ECR: create a missing repository before a push. */
  createRepositories: v.optional(v.boolean()),
  /** Owners, organisations or projects to list for search (default: the namespace). */
  namespaces: v.optional(v.array(NamespaceSchema)),
});
export type OptionsConfig = v.InferOutput<typeof OptionsSchema>;

export const RegistryEntrySchema = v.strictObject({
  url: RegistryUrlSchema,
  /** Which provider's knowledge applies; discovered from the URL (or by probing at `add`) when absent. */
  provider: v.optional(v.picklist(PROVIDER_KINDS, `must be one of ${PROVIDER_KINDS.join(", ")}`)),
  /** Prefix of one-component repository names: `corp/app` → `<host>/<namespace>/app`. */
  namespace: v.optional(NamespaceSchema),
  description: v.optional(v.string()),
  credentials: v.optional(CredentialsSchema),
  tls: v.optional(TlsSchema),
  /** Registries (names or URLs) to read from first; pushes always go to `url`. */
  mirrors: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  options: v.optional(OptionsSchema),
});
export type RegistryEntry = v.InferOutput<typeof RegistryEntrySchema>;

export const CacheSettingsSchema = v.strictObject({
  /** Trim the cache to this size (least recently used first) after pulls that added to it. */
  maxSize: v.optional(v.pipe(v.union([v.string(), v.number()]), v.check((s) => isSize(s), "must be a size like 500MB or 10GiB"))),
});

export const RegistriesFileSchema = v.strictObject({
  version: v.optional(v.literal(1, "must be 1"), 1),
  /** The registry of references that name none (`team/app:v1`) and of `idp search`. */
  default: v.optional(RegistryNameSchema),
  cache: v.optional(CacheSettingsSchema),
  registries: v.optional(v.record(RegistryNameSchema, RegistryEntrySchema), {}),
});
export type RegistriesFile = v.InferOutput<typeof RegistriesFileSchema>;

/** Sizes in the schema are checked with the one parser the cache uses. */
function isSize(value: string | number): boolean {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0;
  try {
    parseSize(value);
    return true;
  } catch {
    return false;
  }
}

/** An API base URL: any http(s) URL without credentials (paths allowed, e.g. a proxy prefix). */
function RegistryUrlSchemaLoose() {
  return v.pipe(
    v.string(),
    v.check((text) => {
      try {
        const url = new URL(text);
        return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
      } catch {
        return false;
      }
    }, "must be an http(s) URL"),
  );
}
