import type { CAC } from "cac";
import { withRegistryFlag, withRemoteFlags, type RegistryFlags, type RemoteFlags } from "../common.ts";

interface CreateFlags extends RegistryFlags {
  output?: string;
  includeImages?: boolean;
  platform?: string;
  concurrency?: string | number;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

interface ImportFlags extends RemoteFlags {
  concurrency?: string | number;
  verify?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `idp bundle create|import|verify|inspect`: air-gap bundles. */
export function registerBundle(cli: CAC): void {
  withRegistryFlag(
    withRemoteFlags(
      cli
        .command("bundle create <...references>", "Write one tar (an OCI image layout) with packages, their locked dependency closure, their referrers and optionally their images")
        .option("-o, --output <file>", "The bundle to write (required)")
        .option("--include-images", "Also bundle the container images the packages' Kubernetes manifests run")
        .option("--platform <os/arch>", "With --include-images: only this platform of multi-platform images (e.g. linux/amd64)")
        .option("--concurrency <n>", "Blobs in flight at once (default 4)")
        .option("--force", "Replace the output file if it exists")
        .option("--json", "Print the result as JSON")
        .option("-q, --quiet", "Print only the bundle's path")
        .example("idp bundle create 127.0.0.1:5000/examples/app-catalog:0.3.0 -o platform.tar")
        .example("idp bundle create registry.example.com/platform/ingress:1.2.0 --include-images --platform linux/amd64 -o ingress.tar")
        .example("idp bundle create ./my-package -o deps.tar   # a package directory: its idp.lock closure"),
    ),
  ).action(async (references: string[], flags: CreateFlags) => {
    const { existsSync } = await import("node:fs");
    const { UsageError } = await import("../usage.ts");
    const { remoteOptions, defaultRegistry } = await import("../common.ts");
    const { registryPackageIndex } = await import("../../package/open.ts");
    const { planBundle, createBundle, parsePlatform } = await import("../../bundle/index.ts");
    const { formatNotes, bytes } = await import("../../bundle/format.ts");
    const { Stopper } = await import("../../sync/stop.ts");
    const { Progress, progressMode } = await import("../progress.ts");
    const { data, info, json, warn } = await import("../output.ts");
    const { VERSION } = await import("../../version.ts");
    if (!flags.output) throw new UsageError("give the bundle to write with -o FILE.tar");
    if (flags.platform && !flags.includeImages) throw new UsageError("--platform applies to images: add --include-images");
    if (existsSync(flags.output) && !flags.force) throw new UsageError(`${flags.output} exists`, "choose another name, or pass --force to replace it");
    const index = registryPackageIndex(await remoteOptions(flags));
    const plan = await planBundle(references, index, {
      registry: await defaultRegistry(flags),
      includeImages: flags.includeImages ?? false,
      ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
    });
    const stop = new Stopper();
    const unhook = stop.listen(warn);
    const progress = new Progress({ verb: "fetch", mode: progressMode(flags) });
    try {
      const epoch = process.env.SOURCE_DATE_EPOCH;
      const result = await createBundle(plan, flags.output, {
        index,
        requested: references,
        tool: `idp ${VERSION}`,
        stop,
        observer: progress,
        ...(epoch && /^\d+$/.test(epoch) ? { created: new Date(Number(epoch) * 1000) } : {}),
        ...(flags.concurrency !== undefined ? { concurrency: positive(flags.concurrency, UsageError) } : {}),
      });
      progress.close();
      if (flags.json) return json({ ...result, items: plan.items, undiscovered: plan.notes });
      if (!flags.quiet) {
        const roles = (role: string, one: string, many: string) => {
          const n = plan.items.filter((i) => i.role === role).length;
          return `${n} ${n === 1 ? one : many}`;
        };
        const what = [roles("package", "package", "packages"), roles("dependency", "dependency", "dependencies"), roles("image", "image", "images"), roles("artifact", "other artifact", "other artifacts")];
        info(`wrote ${result.file}: ${what.join(", ")}; ${result.blobs} manifests and blobs, ${bytes(result.size)}${result.resumed ? " (continued an interrupted run)" : ""}`);
        for (const line of formatNotes(plan.notes)) info(line);
      }
      data(result.file);
    } finally {
      progress.close();
      unhook();
    }
  });

  withRemoteFlags(
    cli
      .command("bundle import <bundle> <destination>", "Push a bundle (or an OCI layout tar/dir from skopeo or oras) to REGISTRY[/PREFIX], preserving digests and tags, then verify it")
      .option("--concurrency <n>", "Blobs in flight at once (default 4)")
      .option("--verify <mode>", "After pushing: content (read every blob back and hash it; default) or exists (only look it up)")
      .option("--json", "Print the result as JSON")
      .option("-q, --quiet", "Print nothing on success")
      .example("idp bundle import platform.tar registry.local:5000")
      .example("idp bundle import platform.tar registry.local:5000/mirror   # team/app lands at mirror/team/app")
      .example("idp bundle import skopeo-archive.tar registry.local:5000/team/app   # a layout named by bare tags"),
  ).action(async (file: string, destination: string, flags: ImportFlags) => {
    const { UsageError } = await import("../usage.ts");
    const { remoteOptions } = await import("../common.ts");
    const { openBundle, importBundle, parseDestination } = await import("../../bundle/index.ts");
    const { Stopper } = await import("../../sync/stop.ts");
    const { Progress, progressMode } = await import("../progress.ts");
    const { data, info, json, warn } = await import("../output.ts");
    const verify = flags.verify ?? "content";
    if (verify !== "content" && verify !== "exists") throw new UsageError(`--verify is content or exists, not ${JSON.stringify(verify)}`);
    const dest = parseDestination(destination);
    const bundle = await openBundle(file);
    const stop = new Stopper();
    const unhook = stop.listen(warn);
    const progress = new Progress({ verb: "push", mode: progressMode(flags) });
    try {
      const result = await importBundle(bundle, dest, {
        remote: await remoteOptions(flags),
        observer: progress,
        stop,
        verify,
        ...(flags.concurrency !== undefined ? { concurrency: positive(flags.concurrency, UsageError) } : {}),
      });
      progress.close();
      if (flags.json) return json(result);
      for (const skipped of result.skippedRoots) warn(`not imported: ${skipped}`);
      if (flags.quiet) return;
      const v = result.verification;
      info(`imported ${result.roots.length} roots: ${result.copied} copied, ${result.skipped} already there, ${result.mounted} mounted; verified ${v.manifests} manifests and ${v.blobs} blobs (${verify === "content" ? `${v.blobsRead} read back` : "looked up"})`);
      data(result.roots.map((r) => r.destination).join("\n"));
    } finally {
      progress.close();
      unhook();
    }
  });

  cli
    .command("bundle verify <bundle>", "Check a bundle offline: every blob's digest and size, and that nothing its manifests name is missing")
    .option("--json", "Print {roots, manifests, blobs, bytes, problems} as JSON")
    .example("idp bundle verify platform.tar")
    .action(async (file: string, flags: { json?: boolean }) => {
      const { openBundle, verifyBundle } = await import("../../bundle/index.ts");
      const { bytes } = await import("../../bundle/format.ts");
      const { IdpError } = await import("../../errors/index.ts");
      const { data, json } = await import("../output.ts");
      const result = await verifyBundle(await openBundle(file));
      if (flags.json) json(result);
      else if (result.problems.length === 0) data(`${file}: ok: ${result.roots} roots, ${result.manifests} manifests, ${result.blobs} blobs, ${bytes(result.bytes)} verified`);
      else data(result.problems.join("\n"));
      if (result.problems.length > 0) {
        throw new IdpError(`${file} does not verify: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`, { hint: "create the bundle again, or copy it again if it was damaged in transit" });
      }
    });

  cli
    .command("bundle inspect <bundle>", "Summarise a bundle: packages, dependencies, images, referrers, and what could not be discovered")
    .option("--json", "Print the summary as JSON")
    .example("idp bundle inspect platform.tar")
    .example("idp bundle inspect platform.tar --json | jq '.entries[] | select(.role == \"image\") | .reference'")
    .action(async (file: string, flags: { json?: boolean }) => {
      const { openBundle, inspectBundle } = await import("../../bundle/index.ts");
      const { formatInspection } = await import("../../bundle/format.ts");
      const { data, json } = await import("../output.ts");
      const inspection = await inspectBundle(await openBundle(file));
      if (flags.json) json(inspection);
      else data(formatInspection(inspection));
    });
}

function positive(value: string | number, Usage: new (message: string) => Error): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Usage("--concurrency must be a positive whole number");
  return n;
}
