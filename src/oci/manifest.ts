import * as v from "valibot";
import { InvalidInputError, UnsupportedError } from "../errors/index.ts";
import { digestOf, isSupportedAlgorithm, parseDigest } from "./digest.ts";
import { MediaType, MANIFEST_MEDIA_TYPES, bareMediaType, isIndexMediaType } from "./mediatypes.ts";
import { MANIFEST_SCHEMAS, describeIssue, type Descriptor } from "./schemas.ts";

/** What a manifest says about the graph, whatever its media type. */
export interface ManifestInfo {
  mediaType: string;
  /** Child manifests (indexes) in document order. */
  manifests: Descriptor[];
  /** Config then layers (image manifests). */
  blobs: Descriptor[];
  /** The config descriptor of an image manifest. */
  config: Descriptor | undefined;
  subject: Descriptor | undefined;
  /** The document's own `artifactType` field. */
  artifactType: string | undefined;
  annotations: Record<string, string> | undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses and validates a manifest or index. `contentType` is the type it was sent or stored
 * with; when the document carries `mediaType` too, both must agree (the CVE-2021-41190 rule),
 * and a document with both `manifests` and `layers`/`config` is refused as ambiguous.
 *
 * @example parseManifest(bytes, "application/vnd.oci.image.manifest.v1+json").blobs
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ManifestInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new InvalidInputError("manifest is not valid UTF-8 JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InvalidInputError("manifest is not a JSON object");
  }
  const body = doc as Record<string, unknown>;
  const declared = typeof body.mediaType === "string" ? body.mediaType : undefined;
  const sent = contentType ? bareMediaType(contentType) : undefined;
  if (declared !== undefined && sent !== undefined && declared !== sent) {
    throw new InvalidInputError(`manifest mediaType ${declared} does not match Content-Type ${sent}`);
  }
  const mediaType = declared ?? sent;
  if (mediaType === undefined) {
    throw new InvalidInputError("manifest has no mediaType field and no Content-Type was given");
  }
  if ("manifests" in body && ("layers" in body || "config" in body)) {
    throw new InvalidInputError("ambiguous manifest: it has both manifests and layers/config");
  }
  if (mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed) {
    throw new UnsupportedError("Docker schema 1 manifests are not supported", {
      hint: "re-push the image with a current client, which writes schema 2 or OCI",
    });
  }
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new UnsupportedError(`unsupported manifest media type ${mediaType}`);
  }
  const schema = MANIFEST_SCHEMAS[mediaType as keyof typeof MANIFEST_SCHEMAS];
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    throw new InvalidInputError(`invalid ${shortName(mediaType)}: ${describeIssue(parsed.issues)}`);
  }
  const out = parsed.output as Record<string, unknown>;
  const manifests = isIndexMediaType(mediaType) ? (out.manifests as Descriptor[]) : [];
  const blobs = isIndexMediaType(mediaType)
    ? []
    : [out.config as Descriptor, ...(out.layers as Descriptor[])];
  const subject = out.subject as Descriptor | undefined;
  for (const d of [...manifests, ...blobs, ...(subject ? [subject] : [])]) checkEmbeddedData(d);
  return {
    mediaType,
    manifests,
    blobs,
    config: isIndexMediaType(mediaType) ? undefined : (out.config as Descriptor),
    subject,
    artifactType: out.artifactType as string | undefined,
    annotations: out.annotations as Record<string, string> | undefined,
  };
}

/**
 * The artifact type a referrers list shows for a manifest: its `artifactType`, else the
 * config media type of an OCI image manifest, else none.
 */
export function referrerArtifactType(info: ManifestInfo): string | undefined {
  return info.artifactType ?? (info.mediaType === MediaType.ociManifest ? info.config?.mediaType : undefined);
}

/** A descriptor's `data` must be exactly the bytes its size and digest describe. */
function checkEmbeddedData(d: Descriptor): void {
  if (d.data === undefined) return;
  const bytes = Buffer.from(d.data, "base64");
  if (bytes.byteLength !== d.size) {
    throw new InvalidInputError(`descriptor ${d.digest}: data is ${bytes.byteLength} bytes, size says ${d.size}`);
  }
  const { algorithm } = parseDigest(d.digest);
  if (isSupportedAlgorithm(algorithm) && digestOf(bytes, algorithm) !== d.digest) {
    throw new InvalidInputError(`descriptor ${d.digest}: data does not match the digest`);
  }
}

function shortName(mediaType: string): string {
  return isIndexMediaType(mediaType) ? "index" : "manifest";
}
