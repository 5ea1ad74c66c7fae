import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { IdpError, InvalidInputError } from "../errors/index.ts";
import { buildPackage, type BuiltPackage } from "../package/build.ts";
import { pushPackage } from "../package/push.ts";
import { parseRegistryReference } from "../oci/reference.ts";
import type { RemoteOptions } from "../remote/index.ts";
import type { PlannedPackage } from "./plan.ts";

/** A planned package once built (and, unless dry-run, pushed). */
export interface MigratedPackage extends PlannedPackage {
  digest: string;
  kind: string;
  files: number;
  /** `pushed`: uploaded now; `unchanged`: the registry had this exact version and digest; `planned`: dry run. */
  status: "pushed" | "unchanged" | "planned";
}

/**
 * Builds the package for a directory without touching it: the files are copied to a scratch
 * directory beside a generated idp.yaml (a directory with its own idp.yaml is built as it is).
 * The idp.yaml holds nothing machine-specific, so the same tree gives the same digest anywhere.
 */
export async function buildPlanned(p: PlannedPackage): Promise<BuiltPackage> {
  if (p.ownSpec) return buildPackage(p.absolute);
  const scratch = await mkdtemp(join(tmpdir(), "idp-migrate-"));
  try {
    const stage = join(scratch, p.name);
    await cp(p.absolute, stage, { recursive: true, verbatimSymlinks: true });
    const spec = {
      name: p.name,
      version: p.version,
      description: `Migrated from the idpbuilder package directory ${p.directory}`,
      annotations: { "dev.idp.migrated-from": `idpbuilder:${p.directory}` },
    };
    await Bun.write(join(stage, "idp.yaml"), stringify(spec));
    try {
      return await buildPackage(stage);
    } catch (error) {
      // Name the user's directory, not the scratch copy.
      if (error instanceof IdpError) throw new InvalidInputError(error.message.replaceAll(stage, p.absolute), { cause: error, hint: "fix the files in that directory (idp validates every package it builds)" });
      throw error;
    }
  } finally {
    // The build staged its own copy of the layer; the scratch files are no longer needed.
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Builds and pushes each package (dry run: builds only, to validate and learn the digests).
 * Re-pushing an unchanged package uploads nothing; a version that exists with other content
 * is refused (versions are immutable), so nothing is overwritten.
 *
 * @example await buildAndPush(planned, { remote: {}, dryRun: false })
 */
export async function buildAndPush(planned: PlannedPackage[], options: { remote: RemoteOptions; dryRun: boolean }): Promise<MigratedPackage[]> {
  const out: MigratedPackage[] = [];
  for (const p of planned) {
    const built = await buildPlanned(p);
    const facts = { ...p, digest: built.manifest.digest, kind: built.config.kind, files: built.report.files.length };
    if (options.dryRun) {
      await built.staged.dispose();
      out.push({ ...facts, status: "planned" });
      continue;
    }
    const { openRepository } = await import("../remote/index.ts");
    const target = await openRepository(parseRegistryReference(p.repository), options.remote);
    const result = await pushPackage(built, target);
    out.push({ ...facts, status: result.unchanged ? "unchanged" : "pushed" });
  }
  return out;
}
