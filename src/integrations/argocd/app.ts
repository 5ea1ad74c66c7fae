import type { PackageConfig } from "../../package/config.ts";
import { ARGOCD_API_VERSION, DEFAULT_APP_NAMESPACE, DEFAULT_SERVER, SYNC_WAVE_ANNOTATION, type Application, type ApplicationSource } from "./schema.ts";

/** A pushed package to deploy: where it is, what it is, and what it depends on. */
export interface PackageTarget {
  name: string;
  /** `registry/path`, as idp reaches it. */
  repository: string;
  version: string;
  digest: string;
  config: PackageConfig;
  /** Absolute repositories of its dependencies (inside the same closure). */
  dependencies: string[];
}

/** How Applications are written; every field is optional and documented with its default. */
export interface AppOptions {
  /** Name of the root package's Application (default: the package name). */
  name?: string;
  /** Namespace the Application objects live in (default `argocd`). */
  namespace?: string;
  /** Destination namespace of the root package (default: its `argocd.namespace`). */
  destNamespace?: string;
  /** Destination cluster API URL for every Application (default: each package's, else in-cluster). */
  destServer?: string;
  /** Argo CD project for every Application (default: each package's, else `default`). */
  project?: string;
  /** Automated sync with prune and self-heal for every Application. */
  autoSync?: boolean;
  /** `targetRevision`: the exact version (default), the manifest digest, or a semver range (root only). */
  revision?: "version" | "digest" | { range: string };
  /** Git sources added to the root Application (it then uses `spec.sources`). */
  gitSources?: ApplicationSource[];
  /** Helm values files for the root package, e.g. `$values/envs/prod.yaml` with a git ref source. */
  valueFiles?: string[];
  /** The registry as Argo CD reaches it, when that differs from where idp read the package. */
  argocdRegistry?: string;
}

/** `oci://registry/path` for a repository, with the registry swapped for Argo CD's view of it. */
export function ociRepoURL(repository: string, argocdRegistry?: string): string {
  const slash = repository.indexOf("/");
  const path = repository.slice(slash + 1);
  return `oci://${argocdRegistry ? argocdRegistry.replace(/\/+$/, "") : repository.slice(0, slash)}/${path}`;
}

/**
 * Sync waves for a closure: every package deploys after all of its dependencies, and never
 * before the wave its own `argocd.syncWave` asks for. So wave = max(syncWave, 1 + the highest
 * wave among its dependencies), with packages without dependencies at their syncWave (or 0).
 *
 * @example syncWaves([base, ingress]) // Map { "reg/base" → 0, "reg/ingress" → 1 }
 */
export function syncWaves(targets: readonly PackageTarget[]): Map<string, number> {
  const byRepo = new Map(targets.map((t) => [t.repository, t]));
  const waves = new Map<string, number>();
  const visiting = new Set<string>();
  const waveOf = (repository: string): number => {
    const known = waves.get(repository);
    if (known !== undefined) return known;
    const target = byRepo.get(repository);
    if (!target || visiting.has(repository)) return -1; // outside the closure, or a cycle (the resolver refuses those)
    visiting.add(repository);
    const below = target.dependencies.map(waveOf).filter((w) => w >= 0);
    const own = target.config.argocd?.syncWave ?? 0;
    const wave = below.length ? Math.max(own, 1 + Math.max(...below)) : own;
    visiting.delete(repository);
    waves.set(repository, wave);
    return wave;
  };
  for (const t of targets) waveOf(t.repository);
  return waves;
}

/**
 * One Application per package, with the native OCI source (`repoURL: oci://…`, `path: .`),
 * the package's `argocd` defaults, and — for a closure — sync waves from the dependency order
 * and an `app.kubernetes.io/part-of` label naming the root. `targets[0]` is the root; the
 * Applications come out in sync order (lowest wave first).
 *
 * @example
 * const apps = applicationsFor([root, ...dependencies], { autoSync: true });
 */
export function applicationsFor(targets: readonly PackageTarget[], options: AppOptions = {}): Application[] {
  const root = targets[0];
  if (!root) return [];
  const closure = targets.length > 1;
  const waves = syncWaves(targets);
  const ordered = [...targets].sort((a, b) => (waves.get(a.repository) ?? 0) - (waves.get(b.repository) ?? 0));
  return ordered.map((target) => {
    const isRoot = target === root;
    const defaults = target.config.argocd ?? {};
    const revision = options.revision ?? "version";
    const targetRevision = revision === "digest" ? target.digest : typeof revision === "object" && isRoot ? revision.range : target.version;
    const oci: ApplicationSource = { repoURL: ociRepoURL(target.repository, options.argocdRegistry), targetRevision, path: "." };
    if (isRoot && options.valueFiles?.length) oci.helm = { valueFiles: options.valueFiles };
    const extra = isRoot ? (options.gitSources ?? []) : [];
    const annotations: Record<string, string> = {};
    const wave = waves.get(target.repository) ?? 0;
    if (closure || defaults.syncWave !== undefined) annotations[SYNC_WAVE_ANNOTATION] = String(wave);
    const labels: Record<string, string> = closure ? { "app.kubernetes.io/part-of": root.name } : {};
    const destination: Application["spec"]["destination"] = { server: options.destServer ?? defaults.server ?? DEFAULT_SERVER };
    const namespace = (isRoot ? options.destNamespace : undefined) ?? defaults.namespace;
    if (namespace) destination.namespace = namespace;
    const syncPolicy = options.autoSync ? withAutomated(defaults.syncPolicy) : defaults.syncPolicy;
    const app: Application = {
      apiVersion: ARGOCD_API_VERSION,
      kind: "Application",
      metadata: {
        name: (isRoot ? options.name : undefined) ?? target.name,
        namespace: options.namespace ?? DEFAULT_APP_NAMESPACE,
        ...(Object.keys(labels).length ? { labels } : {}),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec: {
        project: options.project ?? defaults.project ?? "default",
        ...(extra.length ? { sources: [oci, ...extra] } : { source: oci }),
        destination,
        ...(syncPolicy ? { syncPolicy } : {}),
      },
    };
    return app;
  });
}

function withAutomated(policy: Record<string, unknown> | undefined): Record<string, unknown> {
  const automated = typeof policy?.automated === "object" && policy.automated !== null ? (policy.automated as Record<string, unknown>) : {};
  return { ...policy, automated: { ...automated, prune: true, selfHeal: true } };
}
