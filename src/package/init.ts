import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { AlreadyExistsError, InvalidInputError } from "../errors/index.ts";
import { SPEC_FILE } from "./load.ts";

/**
 * `idp package init [DIR]`: a package that validates as is, with an example manifest and an
 * example Argo CD Application, to edit from.
 */
export interface InitOptions {
  name?: string;
  version?: string;
  /** Overwrite files that exist. */
  force?: boolean;
}

/** Writes the scaffold; returns the files written (relative to `dir`). */
export async function initPackage(dir: string, options: InitOptions = {}): Promise<string[]> {
  const name = options.name ?? toPackageName(basename(resolve(dir)));
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new InvalidInputError(`cannot derive a package name from ${JSON.stringify(basename(resolve(dir)))}`, { hint: "pass --name with lower-case letters, digits and '-'" });
  }
  const version = options.version ?? "0.1.0";
  const files: Record<string, string> = {
    [SPEC_FILE]: specTemplate(name, version),
    "configmap.yaml": configMapTemplate(name),
    "application.yaml": applicationTemplate(name),
  };
  if (!options.force) {
    const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)));
    if (existing.length) throw new AlreadyExistsError(`${join(dir, existing[0]!)} exists`, { hint: "pass --force to overwrite, or init another directory" });
  }
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await Bun.write(join(dir, file), text);
  return Object.keys(files);
}

function toPackageName(base: string): string {
  return base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

function specTemplate(name: string, version: string): string {
  return `# The idp package: what it is, what it needs, how Argo CD should deploy it.
# Reference: docs/package-format.md
name: ${name}
version: ${version}
description: Describe what this package adds to the platform
maintainers:
  - name: Your team
# dependencies:
#   - repository: platform/base        # same registry as this package, or registry.example.com/platform/base
#     version: ^1.0.0
argocd:
  namespace: ${name}
  project: default
  syncPolicy:
    automated: { prune: true, selfHeal: true }
    syncOptions: [CreateNamespace=true]
# include: ["**"]                     # files to ship (default: all but idp.yaml, idp.lock, .git/)
# exclude: ["docs/**"]
`;
}

function configMapTemplate(name: string): string {
  return `# An example Kubernetes manifest: every YAML file in the package is applied by Argo CD.
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-settings
data:
  greeting: hello from ${name}
`;
}

function applicationTemplate(name: string): string {
  return `# An example Argo CD Application shipped inside the package: it deploys a Helm chart.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}-podinfo
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
  source:
    repoURL: ghcr.io/stefanprodan/charts
    chart: podinfo
    targetRevision: 6.7.1
  syncPolicy:
    automated: { prune: true, selfHeal: true }
`;
}
