import * as v from "valibot";

/**
 * The parts of Argo CD's Application that idp writes, as valibot schemas (the types below come
 * from them). Argo CD's own CRD is the authority on the whole object; the tests check every
 * rendered object against the real CRD schemas. These schemas say what idp promises to write.
 */

export const ARGOCD_API_VERSION = "argoproj.io/v1alpha1";
/** Argo CD orders the resources of one sync by this annotation (lowest wave first). */
export const SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
export const DEFAULT_SERVER = "https://kubernetes.default.svc";
export const DEFAULT_APP_NAMESPACE = "argocd";

const NonEmpty = v.pipe(v.string(), v.minLength(1));

export const HelmSourceSchema = v.strictObject({
  valueFiles: v.optional(v.array(NonEmpty)),
});

/** One entry of `spec.sources` (or `spec.source`). */
export const ApplicationSourceSchema = v.strictObject({
  repoURL: NonEmpty,
  targetRevision: v.optional(NonEmpty),
  path: v.optional(v.string()),
  /** A multi-source `ref`: other sources read its files as `$ref/…` (git only in Argo CD 3.6). */
  ref: v.optional(NonEmpty),
  helm: v.optional(HelmSourceSchema),
});
export type ApplicationSource = v.InferOutput<typeof ApplicationSourceSchema>;

/** Kubernetes object names: a DNS subdomain; namespaces: a DNS label. */
const DnsSubdomain = v.pipe(v.string(), v.regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "must be lower-case letters, digits, '-' and '.', starting and ending alphanumeric"));
const DnsLabel = v.pipe(v.string(), v.regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and '-', at most 63"));

export const ObjectMetaSchema = v.strictObject({
  name: DnsSubdomain,
  namespace: DnsLabel,
  labels: v.optional(v.record(v.string(), v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
});

export const DestinationSchema = v.strictObject({
  server: v.optional(NonEmpty),
  name: v.optional(NonEmpty),
  namespace: v.optional(DnsLabel),
});

export const ApplicationSchema = v.strictObject({
  apiVersion: v.literal(ARGOCD_API_VERSION),
  kind: v.literal("Application"),
  metadata: ObjectMetaSchema,
  spec: v.strictObject({
    project: NonEmpty,
    source: v.optional(ApplicationSourceSchema),
    sources: v.optional(v.array(ApplicationSourceSchema)),
    destination: DestinationSchema,
    /** Passed through from the package's `argocd.syncPolicy` (Argo CD's schema checks it). */
    syncPolicy: v.optional(v.record(v.string(), v.unknown())),
  }),
});
export type Application = v.InferOutput<typeof ApplicationSchema>;
