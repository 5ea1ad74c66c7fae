import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";

/**
 * Stand-in for the Kubernetes API server admitting Argo CD objects: no cluster runs here, so
 * every object idp renders is checked against the real Argo CD 3.6 CustomResourceDefinitions
 * (test/fixtures/upstream/argocd-crds) with a JSON-schema validator over each CRD's openAPIV3Schema.
 *
 * The API server prunes fields a structural schema does not declare; pruning would hide a
 * typo (`targetRevison`) until Argo CD ignores it in a cluster. So here an undeclared field is
 * an error wherever the schema does not say `x-kubernetes-preserve-unknown-fields: true`.
 * `metadata` is ObjectMeta, which CRDs leave to the API server: a small stand-in schema of the
 * ObjectMeta fields idp writes checks it instead.
 */

export const CRD_DIR = resolve(import.meta.dir, "../fixtures/upstream/argocd-crds");
const CRD_FILES = { Application: "application-crd.yaml", ApplicationSet: "applicationset-crd.yaml", AppProject: "appproject-crd.yaml" } as const;
export type ArgoKind = keyof typeof CRD_FILES;

type Schema = Record<string, unknown>;

/** ObjectMeta as far as idp writes it (the API server's own validation, in miniature). */
const OBJECT_META: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$" },
    namespace: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" },
    labels: { type: "object", additionalProperties: { type: "string" } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
    finalizers: { type: "array", items: { type: "string" } },
  },
};

/** Turns a CRD's structural schema into one that refuses what the API server would prune. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (typeof node !== "object" || node === null) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (key.startsWith("x-kubernetes-") || key === "description") continue;
    out[key] = key === "properties" ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, strict(v)])) : strict(value);
  }
  const source = node as Schema;
  const preserves = source["x-kubernetes-preserve-unknown-fields"] === true;
  if (source.type === "object" && !preserves && out.additionalProperties === undefined) {
    // An object with neither properties nor preserve-unknown-fields keeps nothing at all.
    out.additionalProperties = false;
  }
  return out;
}

function loadSchema(kind: ArgoKind): Schema {
  const path = join(CRD_DIR, CRD_FILES[kind]);
  if (!existsSync(path)) throw new Error(`${path} is missing: the Argo CD CRD fixtures live in test/fixtures/upstream/argocd-crds`);
  const crd = parse(readFileSync(path, "utf8")) as { spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  if (crd.spec.names.kind !== kind) throw new Error(`${path} defines ${crd.spec.names.kind}, not ${kind}`);
  const version = crd.spec.versions.find((v) => v.name === "v1alpha1");
  if (!version) throw new Error(`${path} has no v1alpha1 version`);
  const schema = strict(version.schema.openAPIV3Schema) as Schema;
  (schema.properties as Schema).metadata = OBJECT_META;
  (schema.properties as Schema).apiVersion = { const: "argoproj.io/v1alpha1" };
  (schema.properties as Schema).kind = { const: kind };
  schema.required = [...new Set([...((schema.required as string[]) ?? []), "apiVersion", "kind", "metadata"])];
  return schema;
}

let ajv: Ajv | undefined;
const validators = new Map<ArgoKind, ValidateFunction>();

function validatorFor(kind: ArgoKind): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: true, strict: false, formats: { int64: true, int32: true, "date-time": true, byte: true } });
    validate = ajv.compile(loadSchema(kind));
    validators.set(kind, validate);
  }
  return validate;
}

/** One problem, as `/spec/source/targetRevison: must NOT have additional properties`. */
export function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : "";
    return `${e.instancePath || "/"}: ${e.message ?? e.keyword}${extra}`;
  });
}

/**
 * Checks an object against the CRD of its kind. Returns the problems (empty: valid). Objects
 * of other kinds are not Argo CD custom resources and are refused here: call it only for
 * Application, ApplicationSet and AppProject.
 *
 * @example expect(validateArgoObject(app)).toEqual([]);
 */
export function validateArgoObject(object: unknown): string[] {
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (kind !== "Application" && kind !== "ApplicationSet" && kind !== "AppProject") return [`kind ${String(kind)} is not an Argo CD custom resource`];
  const validate = validatorFor(kind);
  return validate(object) ? [] : formatErrors(validate.errors);
}

/** True for the kinds the CRD fixtures define. */
export function isArgoObject(object: unknown): boolean {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return o?.apiVersion === "argoproj.io/v1alpha1" && (o.kind === "Application" || o.kind === "ApplicationSet" || o.kind === "AppProject");
}
