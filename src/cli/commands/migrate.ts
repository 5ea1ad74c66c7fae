import type { CAC } from "cac";
import { list, withRemoteFlags, type RemoteFlags } from "../common.ts";

interface MigrateFlags extends RemoteFlags {
  registry?: string;
  output?: string;
  dryRun?: boolean;
  name?: string | string[];
  packageVersion?: string | string[];
  gitUrl?: string | string[];
  json?: boolean;
}

/** `idp migrate idpbuilder DIR`: idpbuilder custom packages (git, cnoe://) to idp packages (OCI). */
export function registerMigrate(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("migrate idpbuilder <dir>", "Migrate an idpbuilder custom-package tree: push each cnoe:// directory as an idp package, rewrite the Applications to oci:// with pinned versions")
      .option("--registry <reg/prefix>", "Where the packages go, e.g. 127.0.0.1:5000/idpbuilder (required)")
      .option("-o, --output <dir>", "Where the rewritten YAML and the report go (default ./<DIR name>-oci)")
      .option("--dry-run", "Build and print the plan; push and write nothing")
      .option("--name <dir=name>", "Package name for a directory (as written after cnoe://); repeatable")
      // Not --version: that is the global flag, which would print idp's version instead.
      .option("--package-version <[dir=]version>", "Version for a directory, or for every package without its own; repeatable")
      .option("--git-url <dir=url>", "Git repository for a directory kept on git (git generators, ref sources); repeatable")
      .option("--json", "Print the report as JSON")
      .example("idp migrate idpbuilder ./my-packages --registry 127.0.0.1:5000/idpbuilder --dry-run")
      .example("idp migrate idpbuilder ./my-packages --registry registry.example.com/platform -o ./migrated --package-version app1=1.0.0")
      .example("idp migrate idpbuilder ./appsets --registry 127.0.0.1:5000/idp --git-url test1=https://git.example.com/platform/test1.git"),
  ).action(async (dir: string, flags: MigrateFlags) => {
    const { migrateIdpbuilder, formatReport } = await import("../../migrate/index.ts");
    const { remoteOptions } = await import("../common.ts");
    const { UsageError } = await import("../usage.ts");
    const { basename, resolve } = await import("node:path");
    const { data, json } = await import("../output.ts");
    if (!flags.registry) throw new UsageError("--registry is required: where the packages go", "e.g. --registry 127.0.0.1:5000/idpbuilder");
    const versions = list(flags.packageVersion);
    const report = await migrateIdpbuilder(dir, {
      registry: String(flags.registry),
      dryRun: flags.dryRun ?? false,
      remote: await remoteOptions(flags),
      names: pairs(list(flags.name), "--name", UsageError),
      versions: pairs(versions.filter((v) => v.includes("=")), "--package-version", UsageError),
      ...(versions.find((v) => !v.includes("=")) ? { defaultVersion: versions.find((v) => !v.includes("="))! } : {}),
      gitUrls: pairs(list(flags.gitUrl), "--git-url", UsageError),
      ...(flags.dryRun ? {} : { output: flags.output ?? `${basename(resolve(dir))}-oci` }),
    });
    if (flags.json) json(report);
    else data(formatReport(report));
  });
}

/** `a=b` flags into a record keyed by the directory as written after cnoe://. */
function pairs(values: string[], flag: string, UsageError: new (m: string, h?: string) => Error): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq <= 0 || eq === value.length - 1) throw new UsageError(`${flag} ${JSON.stringify(value)}: write it as DIR=VALUE`, `DIR as written after cnoe://, e.g. ${flag} app1=…`);
    out[value.slice(0, eq).replace(/^(\.\/)+/, "").replace(/\/+$/, "")] = value.slice(eq + 1);
  }
  return out;
}
