/**
 * Container images a Kubernetes object runs, read from its pod template, and what an object
 * deploys that cannot be seen into without rendering (Helm charts and git sources of Argo CD
 * Applications, Flux HelmReleases). Pure functions over parsed YAML.
 */

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const str = (x: unknown): x is string => typeof x === "string" && x.length > 0;

/** An `image:` field found in a pod spec. */
export interface ImageUse {
  image: string;
  /** `Deployment ns/web container app`, for messages. */
  where: string;
}

export interface ObjectImages {
  images: ImageUse[];
  /** What this object deploys that was not looked into, one sentence each. */
  notes: string[];
}

const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/**
 * The images of one object: a Pod's spec, a pod template (`spec.template.spec`: Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs, ReplicationControllers, and custom resources
 * that embed a standard pod template such as Argo Rollouts), a CronJob's
 * `spec.jobTemplate.spec.template.spec`, a PodTemplate's `template.spec`, and every item of a
 * `List`.
 *
 * @example imagesOf({ kind: "Pod", metadata: { name: "x" }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } })
 */
export function imagesOf(doc: unknown): ObjectImages {
  const out: ObjectImages = { images: [], notes: [] };
  if (!isObj(doc)) return out;
  if (doc.kind === "List" && Array.isArray(doc.items)) {
    for (const item of doc.items) {
      const sub = imagesOf(item);
      out.images.push(...sub.images);
      out.notes.push(...sub.notes);
    }
    return out;
  }
  const name = describe(doc);
  for (const podSpec of podSpecs(doc)) {
    for (const list of CONTAINER_LISTS) {
      const containers = podSpec[list];
      if (!Array.isArray(containers)) continue;
      for (const c of containers) {
        if (!isObj(c)) continue;
        const where = `${name} ${list === "containers" ? "container" : list.replace(/s$/, "").replace(/C/, " c")} ${str(c.name) ? c.name : "(unnamed)"}`;
        if (!str(c.image)) continue;
        if (!isLiteralImage(c.image)) out.notes.push(`${where}: image ${JSON.stringify(c.image)} is not a literal reference (a template or variable), so it is not bundled`);
        else out.images.push({ image: c.image.trim(), where });
      }
    }
  }
  out.notes.push(...sourceNotes(doc, name));
  return out;
}

function podSpecs(doc: Obj): Obj[] {
  const spec = doc.spec;
  if (doc.kind === "Pod") return isObj(spec) ? [spec] : [];
  if (doc.kind === "PodTemplate") return isObj(doc.template) && isObj(doc.template.spec) ? [doc.template.spec] : [];
  if (!isObj(spec)) return [];
  const out: Obj[] = [];
  if (isObj(spec.template) && isObj(spec.template.spec)) out.push(spec.template.spec);
  const job = spec.jobTemplate;
  if (isObj(job) && isObj(job.spec) && isObj(job.spec.template) && isObj(job.spec.template.spec)) out.push(job.spec.template.spec);
  return out;
}

/** Argo CD and Flux objects that deploy content from elsewhere, which idp cannot render. */
function sourceNotes(doc: Obj, name: string): string[] {
  const api = str(doc.apiVersion) ? doc.apiVersion : "";
  const spec = isObj(doc.spec) ? doc.spec : {};
  if (api.startsWith("argoproj.io/") && doc.kind === "Application") {
    const sources = [...(isObj(spec.source) ? [spec.source] : []), ...(Array.isArray(spec.sources) ? spec.sources.filter(isObj) : [])];
    return sources.filter((s) => !isValuesOnly(s)).map((s) => `Argo CD ${name} deploys ${describeSource(s)}: its images are not discovered (render it and bundle them by reference)`);
  }
  if (api.startsWith("argoproj.io/") && doc.kind === "ApplicationSet") {
    return [`Argo CD ${name} generates Applications at run time: their images are not discovered`];
  }
  if (api.startsWith("helm.toolkit.fluxcd.io/") && doc.kind === "HelmRelease") {
    return [`Flux ${name} installs a Helm chart: its images are not discovered`];
  }
  return [];
}

/** A source that only provides Helm values files (`ref:` without path or chart). */
function isValuesOnly(source: Obj): boolean {
  return str(source.ref) && !str(source.chart) && !str(source.path);
}

function describeSource(source: Obj): string {
  const repo = str(source.repoURL) ? source.repoURL : "(no repoURL)";
  if (str(source.chart)) return `Helm chart ${source.chart}${str(source.targetRevision) ? ` ${source.targetRevision}` : ""} from ${repo}`;
  if (repo.startsWith("oci://")) return `the OCI artifact ${repo.slice(6)}${str(source.targetRevision) ? `:${source.targetRevision}` : ""}`;
  return `${str(source.path) ? `path ${source.path} of ` : ""}${repo}`;
}

/** Templates (`{{ }}`), shell-style variables and kustomize placeholders are not references. */
function isLiteralImage(image: string): boolean {
  return !/[{}$<>\s]/.test(image.trim());
}

function describe(doc: Obj): string {
  const meta = isObj(doc.metadata) ? doc.metadata : {};
  const name = str(meta.name) ? meta.name : str(meta.generateName) ? `${meta.generateName}*` : "(unnamed)";
  return `${str(doc.kind) ? doc.kind : "object"} ${str(meta.namespace) ? `${meta.namespace}/` : ""}${name}`;
}
