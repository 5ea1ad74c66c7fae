import { expect } from "bun:test";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";

/** Raw HTTP helpers for registry tests: what a client sends, spelled out. */

export interface Content {
  bytes: Uint8Array<ArrayBuffer>;
  digest: string;
  size: number;
}

export function content(data: Uint8Array<ArrayBuffer> | string): Content {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return { bytes, digest: digestOf(bytes), size: bytes.byteLength };
}

export function randomContent(size: number): Content {
  return content(crypto.getRandomValues(new Uint8Array(size)));
}

export function json(value: unknown): Content {
  return content(JSON.stringify(value));
}

/** A location header resolved against the registry URL. */
export function resolveLocation(base: string, location: string | null): string {
  if (!location) throw new Error("response has no Location header");
  return new URL(location, base).toString();
}

/** POST then monolithic PUT; asserts the 201. */
export async function pushBlob(base: string, repo: string, blob: Content): Promise<void> {
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  expect(post.status).toBe(202);
  const location = new URL(resolveLocation(base, post.headers.get("location")));
  location.searchParams.set("digest", blob.digest);
  const put = await fetch(location, {
    method: "PUT",
    body: blob.bytes,
    headers: { "Content-Type": "application/octet-stream" },
  });
  if (put.status !== 201) throw new Error(`blob PUT answered ${put.status}: ${await put.text()}`);
}

export async function putManifest(base: string, repo: string, reference: string, manifest: Content, mediaType: string): Promise<Response> {
  return fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    body: manifest.bytes,
    headers: { "Content-Type": mediaType },
  });
}

export interface Image {
  config: Content;
  layers: Content[];
  manifest: Content;
  mediaType: string;
}

/** Builds an OCI image (config, layers, manifest) without pushing it; `layerContents` gives its layers (to share one between images). */
export function makeImage(options: { layers?: number; layerSize?: number; layerContents?: Content[]; artifactType?: string; subject?: Content & { mediaType: string }; annotations?: Record<string, string>; configMediaType?: string } = {}): Image {
  const config = json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, nonce: crypto.randomUUID() });
  const layers = options.layerContents ?? Array.from({ length: options.layers ?? 1 }, () => randomContent(options.layerSize ?? 1024));
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: options.configMediaType ?? MediaType.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
  };
  if (options.artifactType) doc.artifactType = options.artifactType;
  if (options.subject) doc.subject = { mediaType: options.subject.mediaType, digest: options.subject.digest, size: options.subject.size };
  if (options.annotations) doc.annotations = options.annotations;
  return { config, layers, manifest: json(doc), mediaType: MediaType.ociManifest };
}

/** Pushes an image's blobs and its manifest under `reference`. */
export async function pushImage(base: string, repo: string, reference: string, image: Image = makeImage()): Promise<Image> {
  for (const blob of [image.config, ...image.layers]) await pushBlob(base, repo, blob);
  const res = await putManifest(base, repo, reference, image.manifest, image.mediaType);
  if (res.status !== 201) throw new Error(`manifest PUT answered ${res.status}: ${await res.text()}`);
  return image;
}

/** The OCI error codes of a response body. */
export async function errorCodes(res: Response): Promise<string[]> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { errors?: { code: string }[] };
    return (body.errors ?? []).map((e) => e.code);
  } catch {
    return [`<not json: ${text.slice(0, 80)}>`];
  }
}
