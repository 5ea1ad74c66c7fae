import type { CAC } from "cac";
import { withRegistryFlag, withRemoteFlags, type RegistryFlags, type RemoteFlags } from "../common.ts";

/** `idp package push|versions|pull`: packages and registries. */
export function registerPackageRemote(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("package push <dir> <repository>", "Validate, build and push a package, tagged with its exact version")
      .option("--moving-tags", "Also move MAJOR, MAJOR.MINOR and latest when this is the newest of each")
      .option("--force", "Replace an existing version whose content differs")
      .option("--strict", "Fail on validation warnings too")
      .option("--json", "Print {repository, digest, tags, unchanged, bytes} as JSON")
      .option("-q, --quiet", "Print only the digest")
      .example("idp package push examples/packages/platform-base 127.0.0.1:5000/examples/platform-base")
      .example("idp package push . registry.example.com/platform/ingress --moving-tags"),
  ).action(async (dir: string, repository: string, flags: RemoteFlags & { movingTags?: boolean; force?: boolean; strict?: boolean; json?: boolean; quiet?: boolean }) => {
    const { buildPackage } = await import("../../package/build.ts");
    const { pushPackage } = await import("../../package/push.ts");
    const { openStore } = await import("../targets.ts");
    const { Progress, progressMode } = await import("../progress.ts");
    const { data, info, json } = await import("../output.ts");
    const { UsageError } = await import("../usage.ts");
    const { target, ref, label } = await openStore(repository, flags, { create: true });
    if (ref.tag || ref.digest) throw new UsageError(`give the repository without a tag: the version comes from idp.yaml (${label})`);
    const built = await buildPackage(dir, { strict: flags.strict ?? false });
    const progress = new Progress({ verb: "push", mode: progressMode(flags) });
    try {
      const result = await pushPackage(built, target, { movingTags: flags.movingTags ?? false, force: flags.force ?? false, observer: progress });
      progress.close();
      if (flags.json) json({ repository: label, name: built.config.name, ...result });
      else {
        if (!flags.quiet) info(`${built.config.name}@${built.config.version} ${result.unchanged ? "was already there" : "pushed"}; tags: ${result.tags.join(", ")}`);
        data(result.digest);
      }
    } finally {
      progress.close();
    }
  });

  withRemoteFlags(
    cli
      .command("package versions <repository>", "List a package's versions, newest first")
      .option("--prerelease", "Include prereleases")
      .option("--json", "Print [{version, digest}] as JSON (one request per version)")
      .example("idp package versions 127.0.0.1:5000/examples/ingress")
      .example("idp package versions registry.example.com/platform/base --json"),
  ).action(async (repository: string, flags: RemoteFlags & { prerelease?: boolean; json?: boolean }) => {
    const { openStore } = await import("../targets.ts");
    const { packageVersions } = await import("../../package/versions.ts");
    const { data, json } = await import("../output.ts");
    const { target } = await openStore(repository, flags);
    const versions = await packageVersions(target, { prerelease: flags.prerelease ?? false, digests: flags.json ?? false });
    if (flags.json) json(versions);
    else if (versions.length) data(versions.map((v) => v.version).join("\n"));
  });

  withRegistryFlag(
    withRemoteFlags(
      cli
        .command("package pull <source>", "Pull a package (REF) or a package directory's locked dependencies (DIR), each into OUT/<name>")
        .option("-o, --output <dir>", "Where to write (default: current directory)")
        .option("--with-deps", "Also pull every package it depends on (the locked closure for a DIR)")
        .option("--overwrite", "Replace files that exist")
        .option("--json", "Print what was pulled as JSON")
        .example("idp package pull 127.0.0.1:5000/examples/app-catalog:0.3.0 --with-deps -o ./vendor")
        .example("idp package pull examples/packages/app-catalog --with-deps -o ./vendor   # uses idp.lock"),
    ),
  ).action(async (source: string, flags: RegistryFlags & { output?: string; withDeps?: boolean; overwrite?: boolean; json?: boolean }) => {
    const { pullPackageClosure } = await import("../../package/closure.ts");
    const { remoteOptions, defaultRegistry } = await import("../common.ts");
    const { Progress, progressMode } = await import("../progress.ts");
    const { data, json } = await import("../output.ts");
    const progress = new Progress({ verb: "pull", mode: progressMode(flags) });
    try {
      const pulled = await pullPackageClosure(source, flags.output ?? ".", {
        withDeps: flags.withDeps ?? false,
        overwrite: flags.overwrite ?? false,
        registry: await defaultRegistry(flags),
        remote: await remoteOptions(flags),
        observer: progress,
      });
      progress.close();
      if (flags.json) json(pulled);
      else data(pulled.map((p) => `${p.name}@${p.version} ${p.digest} → ${p.directory}`).join("\n"));
    } finally {
      progress.close();
    }
  });
}
