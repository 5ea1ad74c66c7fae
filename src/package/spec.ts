import semver from "semver";
import * as v from "valibot";

/**
 * `idp.yaml`: what a package is. One schema, the source of the types below; the config blob
 * of a pushed package carries the same fields (see config.ts).
 *
 * @example
 * name: ingress
 * version: 1.4.0
 * description: ingress-nginx for the platform
 * dependencies:
 *   - repository: platform/base        # same registry as this package
 *     version: ^1.0.0
 * argocd:
 *   namespace: ingress-nginx
 *   syncPolicy: { automated: { prune: true, selfHeal: true } }
 */

/** A DNS-1123 label: usable as an Argo CD Application name and a namespace. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const PackageNameSchema = v.pipe(
  v.string(),
  v.regex(DNS_LABEL, "must be a DNS label: lower-case letters, digits and '-', at most 63, starting and ending alphanumeric"),
);

export const VersionSchema = v.pipe(
  v.string(),
  v.check((s) => semver.valid(s) !== null && semver.clean(s) === s, "must be a semantic version like 1.2.3 (no leading v)"),
);

export const RangeSchema = v.pipe(
  v.string(),
  v.check((s) => semver.validRange(s) !== null, "must be a semver range like ^1.2.0, ~1.2, >=1.0.0 <2.0.0 or an exact version"),
);

/**
 * A repository reference without tag: `registry.example.com/team/pkg`, or `team/pkg` for the
 * registry the depending package lives in (its first component has no '.' or ':' and is not
 * localhost). Docker Hub must be spelled out as `docker.io/…`.
 */
export const DependencyRepositorySchema = v.pipe(
  v.string(),
  v.regex(/^[a-zA-Z0-9.-]+(:\d+)?(\/[a-z0-9]+((\.|__|_|-+)[a-z0-9]+)*)+$|^[a-z0-9]+((\.|__|_|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|__|_|-+)[a-z0-9]+)*)*$/, "must be a repository like registry.example.com/team/pkg or team/pkg, without tag or digest"),
);

export const DependencySchema = v.strictObject({
  repository: DependencyRepositorySchema,
  version: RangeSchema,
  /** The name this package uses for the dependency; defaults to the dependency's own name. */
  alias: v.optional(PackageNameSchema),
});
export type Dependency = v.InferOutput<typeof DependencySchema>;

export const MaintainerSchema = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1)),
  email: v.optional(v.pipe(v.string(), v.email())),
  url: v.optional(v.pipe(v.string(), v.url())),
});

/** Argo CD defaults for the Applications idp renders from this package. */
export const ArgoCdDefaultsSchema = v.strictObject({
  /** Destination namespace. */
  namespace: v.optional(PackageNameSchema),
  /** Destination cluster API URL (default: in-cluster). */
  server: v.optional(v.pipe(v.string(), v.url())),
  project: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Passed through to `spec.syncPolicy` (Argo CD's own schema checks it on render). */
  syncPolicy: v.optional(v.record(v.string(), v.unknown())),
  syncWave: v.optional(v.pipe(v.number(), v.integer())),
});

const Glob = v.pipe(v.string(), v.minLength(1), v.check((g) => !g.startsWith("/") && !g.split("/").includes(".."), "must be relative and stay inside the package"));

export const PackageSpecSchema = v.strictObject({
  /** Reserved for future format versions; only idp.dev/v1alpha1 exists. */
  apiVersion: v.optional(v.literal("idp.dev/v1alpha1"), "idp.dev/v1alpha1"),
  name: PackageNameSchema,
  version: VersionSchema,
  description: v.optional(v.string()),
  maintainers: v.optional(v.array(MaintainerSchema), []),
  /** Where the package's sources live (org.opencontainers.image.source). */
  source: v.optional(v.pipe(v.string(), v.url())),
  license: v.optional(v.string()),
  dependencies: v.optional(v.array(DependencySchema), []),
  argocd: v.optional(ArgoCdDefaultsSchema),
  /** Files to ship, as globs relative to the package directory (default: everything). */
  include: v.optional(v.array(Glob), ["**"]),
  exclude: v.optional(v.array(Glob), []),
  annotations: v.optional(v.record(v.string(), v.string()), {}),
});
export type PackageSpec = v.InferOutput<typeof PackageSpecSchema>;

/** Files never shipped in a package's layer, whatever `include` says. */
export const ALWAYS_EXCLUDED = ["idp.yaml", "idp.lock", ".git/**", ".idp/**", "**/.DS_Store"];

/** The name a dependency goes by: its alias, else the last path component of its repository. */
export function dependencyName(dep: Dependency): string {
  return dep.alias ?? dep.repository.slice(dep.repository.lastIndexOf("/") + 1);
}

/** True when a dependency's repository names its registry (else it is relative to the dependent's). */
export function hasRegistryHost(repository: string): boolean {
  const first = repository.split("/")[0]!;
  return repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
}
