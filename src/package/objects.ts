/**
 * Checks on the Kubernetes objects inside a package: each YAML document must be an object
 * Kubernetes would accept the shape of, Argo CD Applications and ApplicationSets must have
 * the fields Argo CD needs, no object may appear twice, and plaintext Secrets are flagged.
 */

/** A finding about one document, before it is tied to a file. */
export interface ObjectFinding {
  severity: "error" | "warning";
  /** Path inside the document, for locating the line. */
  path: (string | number)[];
  message: string;
}

/** The largest object Kubernetes stores (etcd's request limit is ~1.5 MiB). */
export const MAX_OBJECT_BYTES = 1024 * 1024;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const str = (x: unknown): x is string => typeof x === "string" && x.length > 0;

/** Identity of an object for duplicate detection: group/kind/namespace/name. */
export function objectKey(doc: Obj): string | undefined {
  const meta = doc.metadata;
  if (!str(doc.apiVersion) || !str(doc.kind) || !isObj(meta) || !str(meta.name)) return undefined;
  const group = doc.apiVersion.includes("/") ? doc.apiVersion.slice(0, doc.apiVersion.indexOf("/")) : "";
  const namespace = str(meta.namespace) ? meta.namespace : "";
  return `${group}/${doc.kind}/${namespace}/${meta.name}`;
}

/** "Deployment web" / "Secret ns/db" for messages. */
export function describeObject(doc: Obj): string {
  const meta = isObj(doc.metadata) ? doc.metadata : {};
  const name = str(meta.name) ? meta.name : "(unnamed)";
  return `${String(doc.kind)} ${str(meta.namespace) ? `${meta.namespace}/` : ""}${name}`;
}

/**
 * Checks one parsed document. `lenient` (kustomize patches) turns a missing identity into a
 * warning, since patches are partial objects.
 */
export function checkObject(doc: unknown, options: { lenient?: boolean } = {}): ObjectFinding[] {
  if (!isObj(doc)) return [{ severity: "error", path: [], message: "document is not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)" }];
  const findings: ObjectFinding[] = [];
  const missing = (path: (string | number)[], what: string) =>
    findings.push({ severity: options.lenient ? "warning" : "error", path, message: `missing ${what}` });
  if (!str(doc.apiVersion)) missing(["apiVersion"], "apiVersion");
  if (!str(doc.kind)) missing(["kind"], "kind");
  if (!isObj(doc.metadata)) missing(["metadata"], "metadata.name");
  else if (!str(doc.metadata.name) && !str(doc.metadata.generateName)) missing(["metadata", "name"], "metadata.name");
  if (findings.length > 0) return findings;

  if (doc.kind === "List" && Array.isArray(doc.items)) {
    doc.items.forEach((item, i) => {
      for (const f of checkObject(item, options)) findings.push({ ...f, path: ["items", i, ...f.path] });
    });
    return findings;
  }
  if (doc.kind === "Secret" && (isObj(doc.data) || isObj(doc.stringData))) {
    findings.push({
      severity: "warning",
      path: [isObj(doc.data) ? "data" : "stringData"],
      message: `${describeObject(doc)} holds plaintext values; anyone who can pull the package can read them (use Sealed Secrets or External Secrets)`,
    });
  }
  if (String(doc.apiVersion).startsWith("argoproj.io/")) {
    if (doc.kind === "Application") findings.push(...checkApplicationSpec(doc.spec, ["spec"]));
    if (doc.kind === "ApplicationSet") findings.push(...checkApplicationSet(doc));
  }
  return findings;
}

function checkApplicationSpec(spec: unknown, at: (string | number)[]): ObjectFinding[] {
  const err = (path: (string | number)[], message: string): ObjectFinding => ({ severity: "error", path: [...at, ...path], message });
  if (!isObj(spec)) return [err([], "Application has no spec")];
  const out: ObjectFinding[] = [];
  const dest = spec.destination;
  if (!isObj(dest)) out.push(err(["destination"], "Application spec.destination is required (server or name, and namespace)"));
  else if (!str(dest.server) && !str(dest.name)) out.push(err(["destination"], "Application spec.destination needs server or name"));
  const hasSource = isObj(spec.source);
  const hasSources = Array.isArray(spec.sources) && spec.sources.length > 0;
  if (!hasSource && !hasSources) out.push(err([], "Application needs spec.source or a non-empty spec.sources"));
  if (hasSource && hasSources) out.push(err(["sources"], "Application has both spec.source and spec.sources; Argo CD uses only spec.sources"));
  const sources: [unknown, (string | number)[]][] = hasSources
    ? (spec.sources as unknown[]).map((s, i) => [s, ["sources", i]])
    : hasSource
      ? [[spec.source, ["source"]]]
      : [];
  for (const [source, path] of sources) {
    if (!isObj(source) || !str(source.repoURL)) {
      out.push(err(path, "every Application source needs a repoURL"));
      continue;
    }
    if (source.repoURL.startsWith("cnoe://")) {
      out.push({ severity: "warning", path: [...at, ...path, "repoURL"], message: `source ${source.repoURL} is an idpbuilder cnoe:// path that only idpbuilder resolves; \`idp migrate idpbuilder\` turns it into an OCI package` });
    }
  }
  if (!str(spec.project)) out.push(err(["project"], "Application spec.project is required (e.g. default)"));
  return out;
}

function checkApplicationSet(doc: Obj): ObjectFinding[] {
  const spec = doc.spec;
  if (!isObj(spec)) return [{ severity: "error", path: ["spec"], message: "ApplicationSet has no spec" }];
  const out: ObjectFinding[] = [];
  if (!Array.isArray(spec.generators) || spec.generators.length === 0) {
    out.push({ severity: "error", path: ["spec", "generators"], message: "ApplicationSet needs at least one generator" });
  }
  const template = spec.template;
  if (!isObj(template) || !isObj(template.spec)) {
    out.push({ severity: "error", path: ["spec", "template"], message: "ApplicationSet needs spec.template with metadata and spec" });
  } else {
    out.push(...checkApplicationSpec(template.spec, ["spec", "template", "spec"]));
  }
  return out;
}
