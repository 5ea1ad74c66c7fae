import { absoluteRepository, type Resolution } from "./resolve.ts";

/**
 * The resolved graph as a tree from the root, each package once in full and then as a
 * back-reference (`(seen above)`).
 *
 * @example
 * app-catalog@0.3.0
 * ├── ingress@1.2.0 (^1.2.0)
 * │   └── platform-base@1.0.0 (^1.0.0)
 * └── base → platform-base@1.0.0 (>=1.0.0 <2.0.0) (seen above)
 */
export function formatTree(resolution: Resolution): string {
  const byRepo = new Map(resolution.packages.map((p) => [p.repository, p]));
  const seen = new Set<string>();
  const lines = [`${resolution.root.name}@${resolution.root.version}`];
  const walk = (deps: { repository: string; version: string; alias?: string }[], prefix: string, registry: string) => {
    deps.forEach((dep, i) => {
      const last = i === deps.length - 1;
      const repo = absoluteRepository(dep.repository, registry);
      const p = byRepo.get(repo);
      const name = p ? `${p.name}@${p.version}` : `${repo} (unresolved)`;
      const alias = dep.alias && p && dep.alias !== p.name ? `${dep.alias} → ` : "";
      const again = p && seen.has(repo);
      lines.push(`${prefix}${last ? "└── " : "├── "}${alias}${name} (${dep.version})${again ? " (seen above)" : ""}`);
      if (p && !again) {
        seen.add(repo);
        walk(p.dependencies, `${prefix}${last ? "    " : "│   "}`, repo.split("/")[0]!);
      }
    });
  };
  walk(resolution.root.dependencies, "", resolution.registry);
  return lines.join("\n");
}
