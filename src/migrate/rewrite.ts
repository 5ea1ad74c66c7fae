import { resolveCnoeDirectory } from "./plan.ts";
import { CNOE_IN_TEXT, cnoePath, findCnoeRefs, formatPath, getIn, sourceAt, type CnoeRef, type TreeDocument } from "./scan.ts";

/**
 * Rewriting Applications and ApplicationSets in place (comments and key order survive: the
 * YAML document is edited, not re-serialised from data). What Argo CD can read from OCI moves
 * to the package; what it cannot stays git and is reported, never dropped.
 */

export interface Change {
  path: string;
  from: string;
  to: string;
  why: string;
}

export interface Kept {
  path: string;
  value: string;
  why: string;
}

export interface ObjectReport {
  file: string;
  index: number;
  kind: string;
  name: string;
  status: "rewritten" | "partly rewritten" | "unchanged" | "not an Argo CD Application";
  changes: Change[];
  kept: Kept[];
  notes: string[];
}

/** Where a package lives and which version to pin. */
export interface PackageRef {
  repository: string;
  version: string;
}

export interface RewriteContext {
  tree: string;
  /** By directory relative to the tree. */
  packages: ReadonlyMap<string, PackageRef>;
  /** Real git URLs for directories kept on git, by directory as written after cnoe://. */
  gitUrls: Readonly<Record<string, string>>;
}

const ARGO_KINDS = new Set(["Application", "ApplicationSet"]);

export function isArgoApplication(value: unknown): value is { apiVersion: string; kind: string; metadata?: { name?: string } } {
  const v = value as { apiVersion?: unknown; kind?: unknown } | null;
  return typeof v?.apiVersion === "string" && v.apiVersion.startsWith("argoproj.io/") && typeof v.kind === "string" && ARGO_KINDS.has(v.kind);
}

/** The directories (relative to the tree) that need a package: every source and Helm value that names one. */
export function packageDirectories(docs: readonly TreeDocument[], tree: string): { absolute: string; directory: string }[] {
  const out: { absolute: string; directory: string }[] = [];
  for (const d of docs) {
    if (!isArgoApplication(d.value)) continue;
    for (const ref of findCnoeRefs(d.value)) {
      if (ref.role !== "source" && ref.role !== "helm") continue;
      for (const t of ref.targets) out.push(resolveCnoeDirectory(tree, t, `${d.file}: ${formatPath(ref.path)}`));
    }
  }
  return out;
}

/**
 * Rewrites one document and says what changed and what stayed, with why.
 *
 * @example const report = rewriteDocument(doc, { tree: "pkgs", packages, gitUrls: {} });
 */
export function rewriteDocument(d: TreeDocument, ctx: RewriteContext): ObjectReport {
  const value = d.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const report: ObjectReport = {
    file: d.file,
    index: d.index,
    kind: typeof value?.kind === "string" ? value.kind : "(none)",
    name: typeof value?.metadata?.name === "string" ? value.metadata.name : "(unnamed)",
    status: "unchanged",
    changes: [],
    kept: [],
    notes: [],
  };
  if (!isArgoApplication(d.value)) {
    report.status = "not an Argo CD Application";
    return report;
  }
  const set = (path: (string | number)[], to: string, why: string) => {
    const from = getIn(d.value, path);
    if (from === to) return;
    d.doc.setIn(path, to);
    report.changes.push({ path: formatPath(path), from: from === undefined ? "(unset)" : String(from), to, why });
  };
  const packageFor = (target: string, where: string) => {
    const { directory } = resolveCnoeDirectory(ctx.tree, target, where);
    return { directory, pkg: ctx.packages.get(directory) };
  };
  let gitGenerators = 0;
  let ociSources = 0;
  for (const ref of findCnoeRefs(d.value)) {
    const where = `${d.file}: ${formatPath(ref.path)}`;
    if (ref.role === "source") {
      const { directory, pkg } = packageFor(ref.targets[0]!, where);
      if (!pkg) throw new Error(`no package planned for ${directory}`);
      const source = sourceAt(ref.path)!.source;
      set(ref.path, `oci://${pkg.repository}`, `the directory ${directory} is now the OCI package ${pkg.repository}`);
      set([...source, "targetRevision"], pkg.version, "pinned to the package version that was pushed");
      const path = getIn(d.value, [...source, "path"]);
      if (path === undefined || path === "") set([...source, "path"], ".", "Argo CD reads an OCI package from path . (its archive root)");
      ociSources++;
    } else if (ref.role === "helm") {
      const text = ref.value.replace(CNOE_IN_TEXT, (match) => {
        const { pkg } = packageFor(cnoePath(match), where);
        return pkg ? `oci://${pkg.repository}` : match;
      });
      set(ref.path, text, "a Helm value naming a package directory now names its OCI repository; review charts that build git URLs from it");
    } else {
      keepGit(ref, ctx, report, set);
      if (ref.role === "git-generator") gitGenerators++;
    }
  }
  if (gitGenerators && ociSources) {
    report.notes.push("the git generator lists directories from git while the template deploys the pushed package version: re-run the migration after changing those directories so both agree");
  }
  report.status = report.changes.length === 0 ? "unchanged" : report.kept.length ? "partly rewritten" : "rewritten";
  return report;
}

const KEEP_WHY: Record<CnoeRef["role"], string> = {
  "git-generator": "ApplicationSet git generators read directories and files from git; Argo CD 3.6 has no generator for OCI artifacts, so this stays git",
  "ref-source": "a multi-source ref ($ref/… values files) is read from git only in Argo CD 3.6, so this source stays git",
  other: "not a source Argo CD reads; left as it is",
  source: "",
  helm: "",
};

function keepGit(ref: CnoeRef, ctx: RewriteContext, report: ObjectReport, set: (path: (string | number)[], to: string, why: string) => void): void {
  const mapped = ref.role === "git-generator" || ref.role === "ref-source" ? ctx.gitUrls[ref.targets[0]!] : undefined;
  if (mapped) {
    set(ref.path, mapped, `${KEEP_WHY[ref.role]}; --git-url gives its git repository`);
    return;
  }
  const needs = ref.role === "other" ? "" : "; only idpbuilder resolves cnoe:// (give the git repository with --git-url " + `${ref.targets[0]}=URL)`;
  report.kept.push({ path: formatPath(ref.path), value: ref.value, why: `${KEEP_WHY[ref.role]}${needs}` });
}
