import type { CAC } from "cac";
import { withRemoteFlags, type RemoteFlags } from "../common.ts";

/** `idp package init|validate|build`: local work on a package directory. */
export function registerPackage(cli: CAC): void {
  cli
    .command("package init [dir]", "Create a package: idp.yaml, an example manifest and an example Argo CD Application")
    .option("--name <name>", "Package name (default: derived from the directory name)")
    .option("--package-version <version>", "First version (default 0.1.0)")
    .option("--force", "Overwrite files that exist")
    .example("idp package init platform/ingress")
    .example("idp package init . --name backstage --package-version 1.0.0")
    .action(async (dir: string | undefined, flags: { name?: string; packageVersion?: string; force?: boolean }) => {
      const { initPackage } = await import("../../package/init.ts");
      const { info } = await import("../output.ts");
      const target = dir ?? ".";
      const files = await initPackage(target, { ...(flags.name ? { name: flags.name } : {}), ...(flags.packageVersion ? { version: String(flags.packageVersion) } : {}), force: flags.force ?? false });
      info(`created ${files.join(", ")} in ${target}; edit idp.yaml, then \`idp package validate ${target}\``);
    });

  cli
    .command("package validate [dir]", "Check a package: idp.yaml, Kubernetes objects, Argo CD Applications, duplicates, Secrets, sizes")
    .option("--strict", "Fail on warnings too")
    .option("--json", "Print {valid, kind, files, objects, problems} as JSON")
    .example("idp package validate examples/packages/ingress")
    .example("idp package validate . --strict --json")
    .action(async (dir: string | undefined, flags: { strict?: boolean; json?: boolean }) => {
      const { validatePackage } = await import("../../package/validate.ts");
      const { formatProblem } = await import("../../package/load.ts");
      const { data, info, json } = await import("../output.ts");
      const { IdpError } = await import("../../errors/index.ts");
      const target = dir ?? ".";
      const report = await validatePackage(target);
      const errors = report.problems.filter((p) => p.severity === "error").length;
      const warnings = report.problems.length - errors;
      const valid = errors === 0 && (!flags.strict || warnings === 0);
      if (flags.json) json({ valid, kind: report.kind, files: report.files.length, objects: report.objects, bytes: report.totalBytes, problems: report.problems });
      else {
        if (report.problems.length) data(report.problems.map(formatProblem).join("\n"));
        info(`${report.spec ? `${report.spec.name}@${report.spec.version}` : target}: ${report.kind} package, ${report.files.length} files, ${report.objects} objects, ${errors} errors, ${warnings} warnings`);
      }
      if (!valid) throw new IdpError(`${target} is not valid${!errors ? " (--strict: warnings count)" : ""}`, { hint: "fix the problems listed above" });
    });

  withRemoteFlags(
    cli
      .command("package build [dir]", "Build a package into one reproducible OCI artifact; print its digest")
      .option("-o, --output <ref>", "Also write it to an OCI layout, e.g. oci-layout:./out (tagged with the version)")
      .option("--strict", "Fail on warnings too")
      .option("--json", "Print {name, version, digest, layer, files} as JSON")
      .example("idp package build examples/packages/ingress")
      .example("SOURCE_DATE_EPOCH=1700000000 idp package build . -o oci-layout:./dist/pkg"),
  ).action(async (dir: string | undefined, flags: RemoteFlags & { output?: string; strict?: boolean; json?: boolean }) => {
    const { buildPackage } = await import("../../package/build.ts");
    const { pushPackage } = await import("../../package/push.ts");
    const { openStore } = await import("../targets.ts");
    const { data, json } = await import("../output.ts");
    const built = await buildPackage(dir ?? ".", { strict: flags.strict ?? false });
    const facts = { name: built.config.name, version: built.config.version, digest: built.manifest.digest, layer: built.layer.digest, files: built.report.files.length };
    if (flags.output) {
      const { target } = await openStore(flags.output, flags, { create: true });
      await pushPackage(built, target, { force: true });
    } else {
      await built.staged.dispose();
    }
    if (flags.json) json(facts);
    else data(built.manifest.digest);
  });
}
