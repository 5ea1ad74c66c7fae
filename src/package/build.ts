import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StagedContent } from "../client/staged.ts";
import { createdAnnotation } from "../client/push.ts";
import { InvalidInputError } from "../errors/index.ts";
import { digestOf } from "../oci/digest.ts";
import { Annotation, MediaType, PackageMediaType } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { packLayerToFile, type PackedLayer } from "../pack/index.ts";
import { packageConfig, type PackageConfig } from "./config.ts";
import { formatProblem } from "./load.ts";
import { validatePackage, type ValidationReport } from "./validate.ts";

export interface BuildOptions {
  /** Warnings fail the build too. */
  strict?: boolean;
  /** org.opencontainers.image.source / .revision (e.g. the git remote and commit). */
  source?: string;
  revision?: string;
}

/** A package built and staged, ready to copy to any Target. */
export interface BuiltPackage {
  staged: StagedContent;
  manifest: Descriptor;
  config: PackageConfig;
  layer: PackedLayer;
  report: ValidationReport;
}

/**
 * Validates and builds the package in `dir` as ONE OCI artifact that Argo CD's OCI source,
 * Flux's OCIRepository and `oras pull` consume as is: an image manifest with the idp artifact
 * type, the package metadata in an idp config blob and in org.opencontainers.image.*
 * annotations, and exactly one tar+gzip layer holding the package files at its root (titled
 * "." and marked for ORAS to unpack). Reproducible: the same files give the same digest on
 * any machine at any time (`created` only from SOURCE_DATE_EPOCH).
 *
 * @example
 * const built = await buildPackage("examples/packages/ingress");
 * await copyGraph(built.staged, registry, built.manifest);
 */
export async function buildPackage(dir: string, options: BuildOptions = {}): Promise<BuiltPackage> {
  const report = await validatePackage(dir);
  const blocking = report.problems.filter((p) => p.severity === "error" || options.strict);
  if (!report.spec || blocking.length > 0) {
    const shown = blocking.slice(0, 5).map((p) => `  ${formatProblem(p)}`).join("\n");
    const more = blocking.length > 5 ? `\n  … and ${blocking.length - 5} more` : "";
    throw new InvalidInputError(`${dir} is not a valid package (${blocking.length} problem${blocking.length === 1 ? "" : "s"}):\n${shown}${more}`, {
      hint: `run \`idp package validate ${dir}\` for the full list`,
    });
  }
  const spec = report.spec;
  const staged = new StagedContent();
  const work = await mkdtemp(join(tmpdir(), "idp-package-"));
  staged.addScratch(work);
  try {
    const layerFile = join(work, "layer.tgz");
    const layer = await packLayerToFile(
      report.files.map((f) => ({ path: join(dir, f.path), name: f.path })),
      layerFile,
    );
    const layerDesc: Descriptor = {
      mediaType: PackageMediaType.layer,
      digest: layer.digest,
      size: layer.size,
      annotations: { [Annotation.title]: ".", [Annotation.orasUnpack]: "true", [Annotation.orasContentDigest]: layer.diffId },
    };
    staged.addFile(layerDesc, layerFile);

    const config = packageConfig(spec, report.kind, report.files.length);
    const configBytes = new TextEncoder().encode(JSON.stringify(config));
    const configDesc: Descriptor = { mediaType: PackageMediaType.config, digest: digestOf(configBytes), size: configBytes.byteLength };
    staged.addBytes(configDesc, configBytes);

    const annotations: Record<string, string> = { ...spec.annotations, [Annotation.title]: spec.name, [Annotation.version]: spec.version };
    if (spec.description) annotations[Annotation.description] = spec.description;
    const source = options.source ?? spec.source;
    if (source) annotations[Annotation.source] = source;
    if (options.revision) annotations[Annotation.revision] = options.revision;
    if (spec.license) annotations[Annotation.licenses] = spec.license;
    if (spec.maintainers.length) annotations[Annotation.authors] = spec.maintainers.map((m) => (m.email ? `${m.name} <${m.email}>` : m.name)).join(", ");
    Object.assign(annotations, createdAnnotation());

    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: PackageMediaType.artifact,
      config: configDesc,
      layers: [layerDesc],
      annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
    const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
    const manifestDesc: Descriptor = { mediaType: MediaType.ociManifest, digest: digestOf(manifestBytes), size: manifestBytes.byteLength, artifactType: PackageMediaType.artifact };
    staged.addBytes(manifestDesc, manifestBytes);
    return { staged, manifest: manifestDesc, config, layer, report };
  } catch (error) {
    await staged.dispose();
    throw error;
  }
}
