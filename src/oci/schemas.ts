import * as v from "valibot";
import { parseDigest } from "./digest.ts";
import { MediaType } from "./mediatypes.ts";

/**
 * valibot schemas for OCI content, the single source of the types below. Objects are loose:
 * unknown fields are kept (the spec lets producers add them, and manifests are stored
 * byte-exact anyway).
 */

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export const MediaTypeSchema = v.pipe(v.string(), v.regex(MEDIA_TYPE, "is not a media type (type/subtype)"));

export const DigestSchema = v.pipe(
  v.string(),
  v.check((value) => {
    try {
      parseDigest(value);
      return true;
    } catch {
      return false;
    }
  }, "is not a valid digest"),
);

export const AnnotationsSchema = v.record(v.string(), v.string());

export const PlatformSchema = v.looseObject({
  architecture: v.string(),
  os: v.string(),
  "os.version": v.optional(v.string()),
  "os.features": v.optional(v.array(v.string())),
  variant: v.optional(v.string()),
  features: v.optional(v.array(v.string())),
});

export const DescriptorSchema = v.looseObject({
  mediaType: MediaTypeSchema,
  digest: DigestSchema,
  size: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  urls: v.optional(v.array(v.string())),
  annotations: v.optional(AnnotationsSchema),
  data: v.optional(v.pipe(v.string(), v.base64("is not base64"))),
  artifactType: v.optional(MediaTypeSchema),
  platform: v.optional(PlatformSchema),
});
export type Descriptor = v.InferOutput<typeof DescriptorSchema>;

export const ImageManifestSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.literal(MediaType.ociManifest)),
  artifactType: v.optional(MediaTypeSchema),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
  subject: v.optional(DescriptorSchema),
  annotations: v.optional(AnnotationsSchema),
});
export type ImageManifest = v.InferOutput<typeof ImageManifestSchema>;

export const ImageIndexSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.literal(MediaType.ociIndex)),
  artifactType: v.optional(MediaTypeSchema),
  manifests: v.array(DescriptorSchema),
  subject: v.optional(DescriptorSchema),
  annotations: v.optional(AnnotationsSchema),
});
export type ImageIndex = v.InferOutput<typeof ImageIndexSchema>;

export const DockerManifestSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.literal(MediaType.dockerManifest),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
});

export const DockerManifestListSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.literal(MediaType.dockerManifestList),
  manifests: v.array(DescriptorSchema),
});

/** The schema each manifest media type must satisfy. */
export const MANIFEST_SCHEMAS = {
  [MediaType.ociManifest]: ImageManifestSchema,
  [MediaType.ociIndex]: ImageIndexSchema,
  [MediaType.dockerManifest]: DockerManifestSchema,
  [MediaType.dockerManifestList]: DockerManifestListSchema,
} as const;

/** `index.json` of an OCI image layout. */
export const LayoutIndexSchema = ImageIndexSchema;

/** `oci-layout` of an OCI image layout. */
export const LayoutMarkerSchema = v.looseObject({ imageLayoutVersion: v.string() });

/** Formats the first issue of a failed parse as `field: message`. */
export function describeIssue(issues: readonly v.BaseIssue<unknown>[], options: { omitPath?: boolean } = {}): string {
  const issue = issues[0];
  if (!issue) return "invalid";
  const path = v.getDotPath(issue);
  const unknownKey = issue.kind === "schema" && issue.expected === "never" && (issue.type === "strict_object" || issue.type === "object");
  const message = unknownKey ? "unknown field" : issue.message;
  return path && !options.omitPath ? `${path}: ${message}` : message;
}
