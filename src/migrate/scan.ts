import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments, type Document } from "yaml";
import { InvalidInputError } from "../errors/index.ts";

/**
 * Reading an idpbuilder custom-package tree. idpbuilder reads the Argo CD Applications and
 * ApplicationSets in the YAML files at the top of a package directory; a source whose repoURL
 * is `cnoe://PATH` names the directory PATH relative to that file, which idpbuilder pushes to
 * its in-cluster Gitea and substitutes. Here every `cnoe://` string is found and classified by
 * where it sits, because where it sits decides what Argo CD can read instead.
 */

export const CNOE_SCHEME = "cnoe://";

export type Path = (string | number)[];

/** One YAML document of a top-level file. */
export interface TreeDocument {
  file: string;
  index: number;
  doc: Document.Parsed;
  value: unknown;
}

/**
 * Where a `cnoe://` string sits:
 * - `source`: a source's repoURL Argo CD renders (becomes the OCI package);
 * - `ref-source`: a multi-source `ref` whose files other sources read as `$ref/…` — Argo CD
 *   3.6 reads those from git only, so it stays git;
 * - `helm`: a string inside a source's `helm` block (valuesObject, values, parameters);
 * - `git-generator`: an ApplicationSet git generator (at any depth, matrix and merge included):
 *   Argo CD 3.6 has no generator that lists an OCI artifact's directories or files, so it stays git;
 * - `other`: anywhere else (left as is, and reported).
 */
export type RefRole = "source" | "ref-source" | "helm" | "git-generator" | "other";

export interface CnoeRef {
  path: Path;
  value: string;
  role: RefRole;
  /** The directory as written after `cnoe://` (for `helm`, each one inside the string). */
  targets: string[];
}

/** The YAML files idpbuilder reads: `*.yaml` / `*.yml` at the top of the directory, sorted. */
export async function readTree(dir: string): Promise<TreeDocument[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    .sort();
  const out: TreeDocument[] = [];
  for (const file of names) {
    const docs = parseAllDocuments(await Bun.file(join(dir, file)).text(), { prettyErrors: false });
    const list = Array.isArray(docs) ? docs : [];
    list.forEach((doc, index) => {
      if (doc.errors.length) throw new InvalidInputError(`${join(dir, file)}: not valid YAML (${doc.errors[0]!.message.split("\n")[0]})`);
      out.push({ file, index, doc, value: doc.toJS({ maxAliasCount: 100 }) });
    });
  }
  return out;
}

/** `cnoe://a/b/` → `a/b`; `cnoe://./x` → `x`. */
export function cnoePath(url: string): string {
  return url.slice(CNOE_SCHEME.length).replace(/^(\.\/)+/, "").replace(/\/+$/, "") || ".";
}

/** `cnoe://…` inside a longer string (Helm values text), up to a space, quote or bracket. */
export const CNOE_IN_TEXT = /cnoe:\/\/[^\s"',}\]]+/g;

/** Every `cnoe://` string in an Argo CD object, classified. */
export function findCnoeRefs(value: unknown): CnoeRef[] {
  const out: CnoeRef[] = [];
  const visit = (node: unknown, path: Path, role: (path: Path) => RefRole) => {
    if (typeof node === "string") {
      if (!node.includes(CNOE_SCHEME)) return;
      const r = role(path);
      const targets = r === "helm" || r === "other" ? [...node.matchAll(CNOE_IN_TEXT)].map((m) => cnoePath(m[0])) : [cnoePath(node)];
      out.push({ path, value: node, role: r, targets });
      return;
    }
    if (Array.isArray(node)) node.forEach((item, i) => visit(item, [...path, i], role));
    else if (typeof node === "object" && node !== null) for (const [k, v] of Object.entries(node)) visit(v, [...path, k], role);
  };
  visit(value, [], (path) => classify(path, value));
  return out;
}

/** The source object a path runs through, and the rest of the path below it. */
export function sourceAt(path: Path): { source: Path; rest: Path } | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i];
    if (key === "source" && path[i - 1] === "spec") return { source: path.slice(0, i + 1), rest: path.slice(i + 1) };
    if (typeof key === "number" && path[i - 1] === "sources" && path[i - 2] === "spec") return { source: path.slice(0, i + 1), rest: path.slice(i + 1) };
  }
  return undefined;
}

function classify(path: Path, root: unknown): RefRole {
  const generators = path.indexOf("generators");
  const inTemplate = path.includes("template");
  if (generators !== -1 && !inTemplate) {
    const gitAt = path.lastIndexOf("git");
    return gitAt > generators && path[gitAt + 1] === "repoURL" && gitAt + 2 === path.length ? "git-generator" : "other";
  }
  const at = sourceAt(path);
  if (!at) return "other";
  if (at.rest.length === 1 && at.rest[0] === "repoURL") {
    const source = getIn(root, at.source) as Record<string, unknown> | undefined;
    return typeof source?.ref === "string" && source.ref ? "ref-source" : "source";
  }
  return at.rest[0] === "helm" ? "helm" : "other";
}

export function getIn(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key];
  return node;
}

/** `["spec", "sources", 1, "repoURL"]` → `spec.sources[1].repoURL`. */
export function formatPath(path: Path): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}
