import type { CAC } from "cac";
import { withRegistryFlag, withRemoteFlags, type RegistryFlags } from "../common.ts";

interface DepsFlags extends RegistryFlags {
  prerelease?: boolean;
  locked?: boolean;
  json?: boolean;
}

/** `idp deps resolve|tree|lock|update`: a package's dependency graph and idp.lock. */
export function registerDeps(cli: CAC): void {
  const common = (command: ReturnType<CAC["command"]>) =>
    withRegistryFlag(withRemoteFlags(command.option("--prerelease", "Consider prerelease versions").option("--json", "Print the result as JSON")));

  common(
    cli
      .command("deps resolve [dir]", "Resolve the dependencies (highest version satisfying every range) and print every node with its digest")
      .option("--locked", "Use idp.lock exactly; fail if it is missing, stale or its digests moved")
      .example("idp deps resolve examples/packages/app-catalog --registry 127.0.0.1:5000"),
  ).action(async (dir: string | undefined, flags: DepsFlags) => run("resolve", dir, flags));

  common(
    cli
      .command("deps tree [dir]", "Print the dependency tree")
      .option("--locked", "Use idp.lock exactly")
      .example("idp deps tree examples/packages/app-catalog"),
  ).action(async (dir: string | undefined, flags: DepsFlags) => run("tree", dir, flags));

  common(
    cli
      .command("deps lock [dir]", "Resolve and write idp.lock, pinning every package of the closure to a digest")
      .option("--locked", "Check that idp.lock is current instead of writing it (for CI)")
      .example("idp deps lock examples/packages/app-catalog --registry 127.0.0.1:5000")
      .example("idp deps lock . --locked   # in CI: fails if idp.lock is stale"),
  ).action(async (dir: string | undefined, flags: DepsFlags) => run("lock", dir, flags));

  common(
    cli
      .command("deps update [dir] [...names]", "Move the named packages (default: all) to the highest versions their ranges allow; rewrite idp.lock")
      .example("idp deps update . ingress")
      .example("idp deps update examples/packages/app-catalog"),
  ).action(async (dir: string | undefined, names: string[], flags: DepsFlags) => run("update", dir, flags, names));
}

async function run(mode: "resolve" | "tree" | "lock" | "update", dir: string | undefined, flags: DepsFlags, names: string[] = []): Promise<void> {
  const { lockDependencies } = await import("../../package/deps.ts");
  const { registryPackageIndex } = await import("../../package/open.ts");
  const { formatTree } = await import("../../package/tree.ts");
  const { remoteOptions, defaultRegistry } = await import("../common.ts");
  const { data, info, json } = await import("../output.ts");
  const target = dir ?? ".";
  const index = registryPackageIndex(await remoteOptions(flags));
  const result = await lockDependencies(target, index, {
    registry: await defaultRegistry(flags),
    includePrerelease: flags.prerelease ?? false,
    locked: flags.locked ?? false,
    dryRun: mode === "resolve" || mode === "tree",
    ...(mode === "update" ? { update: names.length ? names : ("all" as const) } : {}),
  });
  const { packages, requests } = result.resolution;
  if (flags.json) {
    json({ root: result.resolution.root, packages, requests, changed: result.changed, lockfile: result.written ?? null });
    return;
  }
  if (mode === "tree") data(formatTree(result.resolution));
  else if (mode === "resolve") data(packages.map((p) => `${p.name}@${p.version} ${p.repository} ${p.digest}`).join("\n") || "(no dependencies)");
  if (mode === "lock" || mode === "update") {
    if (result.written) info(`wrote ${result.written}: ${packages.length} packages${result.changed.length ? `, changed: ${result.changed.map((c) => `${c.name} ${c.from ?? "new"} → ${c.to}`).join(", ")}` : ", nothing changed"}`);
    else info(`idp.lock is current: ${packages.length} packages, every digest verified`);
  }
}
