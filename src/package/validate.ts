import { join } from "node:path";
import { formatSize } from "../config/units.ts";
import { parseYamlDocuments } from "../config/yaml.ts";
import { listPackageFiles, type PackageFile } from "./files.ts";
import { inspectPackageSpec, type Problem } from "./load.ts";
import { MAX_OBJECT_BYTES, checkObject, describeObject, objectKey } from "./objects.ts";
import type { PackageSpec } from "./spec.ts";

/** How Argo CD will read the package's files (it decides the same way). */
export type PackageKind = "directory" | "kustomize" | "helm";

export interface ValidationLimits {
  /** Uncompressed package size that is an error (default 100 MiB). */
  maxPackageBytes: number;
  /**
   * Size above which a warning says Argo CD may refuse it: the repo-server's default limit on
   * a directory's combined manifests is 10 MB.
   */
  warnPackageBytes: number;
}

export const DEFAULT_LIMITS: ValidationLimits = { maxPackageBytes: 100 * 1024 * 1024, warnPackageBytes: 10 * 1000 * 1000 };

export interface ValidationReport {
  spec: PackageSpec | undefined;
  kind: PackageKind;
  files: PackageFile[];
  totalBytes: number;
  /** Kubernetes objects found, by file. */
  objects: number;
  problems: Problem[];
}

const KUSTOMIZATIONS = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/**
 * Everything `idp package validate` checks: the idp.yaml schema (with lines), the files it
 * selects, that every YAML document is a Kubernetes object, Argo CD Application and
 * ApplicationSet shape, duplicates, plaintext Secrets, sizes.
 *
 * @example
 * const report = await validatePackage("examples/base");
 * report.problems.filter((p) => p.severity === "error");
 */
export async function validatePackage(dir: string, limits: ValidationLimits = DEFAULT_LIMITS): Promise<ValidationReport> {
  const { spec, problems } = await inspectPackageSpec(dir);
  const files = spec ? await listPackageFiles(dir, spec.include, spec.exclude) : await listPackageFiles(dir, ["**"], []);
  const paths = new Set(files.map((f) => f.path));
  const kind: PackageKind = paths.has("Chart.yaml") ? "helm" : KUSTOMIZATIONS.some((k) => paths.has(k)) ? "kustomize" : "directory";
  const report: ValidationReport = { spec, kind, files, totalBytes: 0, objects: 0, problems };

  if (spec && files.length === 0) {
    problems.push({ severity: "error", file: "idp.yaml", message: "the package ships no files: include/exclude select nothing" });
  }
  const seen = new Map<string, string>();
  // A subdirectory with its own kustomization is rendered on its own (an Argo CD source path):
  // its files are kustomize inputs, and names only clash within it.
  const kustomizeRoots = files.filter((f) => KUSTOMIZATIONS.includes(f.path.split("/").pop()!) && f.path.includes("/")).map((f) => f.path.slice(0, f.path.lastIndexOf("/") + 1));
  for (const file of files) {
    report.totalBytes += file.size;
    if (file.kind !== "file" || !/\.(ya?ml|json)$/i.test(file.path)) continue;
    if (kind === "helm" && file.path !== "Chart.yaml") continue; // templates are Go templates; Helm renders them
    const scope = kustomizeRoots.filter((root) => file.path.startsWith(root)).sort((a, b) => b.length - a.length)[0] ?? "";
    await checkFile(dir, file, scope ? "kustomize" : kind, seen, report, scope);
  }
  if (report.totalBytes > limits.maxPackageBytes) {
    problems.push({ severity: "error", file: ".", message: `package is ${formatSize(report.totalBytes)} uncompressed, over the ${formatSize(limits.maxPackageBytes)} limit` });
  } else if (report.totalBytes > limits.warnPackageBytes) {
    problems.push({ severity: "warning", file: ".", message: `package is ${formatSize(report.totalBytes)}; Argo CD's repo-server refuses directories whose manifests exceed 10 MB unless its limit is raised` });
  }
  problems.sort((a, b) => (a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file < b.file ? -1 : 1));
  return report;
}

async function checkFile(dir: string, file: PackageFile, kind: PackageKind, seen: Map<string, string>, report: ValidationReport, scope = ""): Promise<void> {
  const text = await Bun.file(join(dir, file.path)).text();
  const { documents, errors } = parseYamlDocuments(text);
  for (const e of errors) report.problems.push({ severity: "error", file: file.path, line: e.line, col: e.col, message: `not valid YAML: ${e.message}` });
  const isKustomization = KUSTOMIZATIONS.includes(file.path.split("/").pop()!);
  for (const doc of documents) {
    if (doc.value === null || doc.value === undefined) continue;
    if (kind === "helm") {
      const chart = doc.value as Record<string, unknown>;
      for (const field of ["apiVersion", "name", "version"]) {
        if (typeof chart?.[field] !== "string") report.problems.push({ severity: "error", file: file.path, line: doc.line, message: `Chart.yaml needs ${field}` });
      }
      continue;
    }
    if (isKustomization) continue;
    const findings = checkObject(doc.value, { lenient: kind === "kustomize" });
    for (const f of findings) {
      const pos = doc.locate(f.path);
      report.problems.push({ severity: f.severity, file: file.path, line: pos.line, col: pos.col, message: f.message });
    }
    if (findings.some((f) => f.severity === "error")) continue;
    const obj = doc.value as Record<string, unknown>;
    report.objects++;
    const key = objectKey(obj) && `${scope}|${objectKey(obj)}`;
    if (key) {
      const where = `${file.path}:${doc.line}`;
      const first = seen.get(key);
      if (first) report.problems.push({ severity: "error", file: file.path, line: doc.line, message: `${describeObject(obj)} is defined twice (first at ${first})` });
      else seen.set(key, where);
    }
    const bytes = new TextEncoder().encode(JSON.stringify(obj)).byteLength;
    if (bytes > MAX_OBJECT_BYTES) {
      report.problems.push({ severity: "error", file: file.path, line: doc.line, message: `${describeObject(obj)} is ${formatSize(bytes)}; Kubernetes stores objects up to about 1.5 MiB` });
    }
  }
}
