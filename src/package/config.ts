import * as v from "valibot";
import { InvalidInputError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import { ArgoCdDefaultsSchema, DependencySchema, MaintainerSchema, PackageNameSchema, VersionSchema, type PackageSpec } from "./spec.ts";
import type { PackageKind } from "./validate.ts";

/**
 * The config blob of a pushed package (media type PackageMediaType.config): the metadata of
 * its idp.yaml plus what the build found. Readers accept unknown fields, so later idp
 * versions can add some without breaking older resolvers.
 */
export const PackageConfigSchema = v.looseObject({
  apiVersion: v.string(),
  name: PackageNameSchema,
  version: VersionSchema,
  description: v.optional(v.string()),
  maintainers: v.optional(v.array(MaintainerSchema), []),
  source: v.optional(v.string()),
  license: v.optional(v.string()),
  dependencies: v.optional(v.array(DependencySchema), []),
  argocd: v.optional(ArgoCdDefaultsSchema),
  annotations: v.optional(v.record(v.string(), v.string()), {}),
  /** How Argo CD will read the files: plain directory, kustomize or helm. */
  kind: v.optional(v.picklist(["directory", "kustomize", "helm"]), "directory"),
  /** Files in the layer. */
  files: v.optional(v.number(), 0),
});
export type PackageConfig = v.InferOutput<typeof PackageConfigSchema>;

/** The config for a built package, with its keys in a fixed order (the bytes are hashed). */
export function packageConfig(spec: PackageSpec, kind: PackageKind, files: number): PackageConfig {
  const config: Record<string, unknown> = { apiVersion: spec.apiVersion, name: spec.name, version: spec.version };
  if (spec.description !== undefined) config.description = spec.description;
  if (spec.maintainers.length) config.maintainers = spec.maintainers;
  if (spec.source !== undefined) config.source = spec.source;
  if (spec.license !== undefined) config.license = spec.license;
  if (spec.dependencies.length) config.dependencies = spec.dependencies;
  if (spec.argocd !== undefined) config.argocd = spec.argocd;
  if (Object.keys(spec.annotations).length) config.annotations = sortedRecord(spec.annotations);
  config.kind = kind;
  config.files = files;
  return config as PackageConfig;
}

/** Parses a config blob read from a registry; `where` names it in errors. */
export function parsePackageConfig(bytes: Uint8Array, where: string): PackageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InvalidInputError(`${where}: the package config is not JSON`);
  }
  const parsed = v.safeParse(PackageConfigSchema, doc);
  if (!parsed.success) throw new InvalidInputError(`${where}: not an idp package config (${describeIssue(parsed.issues)})`);
  return parsed.output;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
