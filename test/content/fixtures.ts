import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";

/** Content for Target tests: bytes with the descriptor that names them. */
export interface Item {
  desc: Descriptor;
  bytes: Uint8Array<ArrayBuffer>;
}

export const SBOM_TYPE = "application/vnd.example.sbom.v1";
export const SIGNATURE_TYPE = "application/vnd.example.signature.v1";

export function item(mediaType: string, data: Uint8Array<ArrayBuffer> | string): Item {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return { desc: { mediaType, digest: digestOf(bytes), size: bytes.byteLength }, bytes };
}

export function randomBlob(size: number, mediaType: string = MediaType.ociLayerGzip): Item {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  return item(mediaType, bytes);
}

/** An OCI image manifest over `config` and `layers`, optionally a referrer of `subject`. */
export function manifestOf(config: Item, layers: Item[], extra: { subject?: Descriptor; artifactType?: string; annotations?: Record<string, string> } = {}): Item {
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: config.desc,
    layers: layers.map((l) => l.desc),
  };
  if (extra.artifactType) doc.artifactType = extra.artifactType;
  if (extra.subject) doc.subject = { mediaType: extra.subject.mediaType, digest: extra.subject.digest, size: extra.subject.size };
  if (extra.annotations) doc.annotations = extra.annotations;
  return item(MediaType.ociManifest, JSON.stringify(doc));
}

export function indexOf(manifests: Item[]): Item {
  return item(MediaType.ociIndex, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests.map((m) => ({ ...m.desc, platform: { architecture: "amd64", os: "linux" } })) }));
}

export function emptyConfig(): Item {
  return item(MediaType.ociEmpty, "{}");
}

/** A small image: config, two layers (one spans several stream chunks), manifest. */
export function makeImage(options: { layerSize?: number } = {}): { config: Item; layers: Item[]; manifest: Item; all: Item[] } {
  const config = item(MediaType.ociConfig, JSON.stringify({ architecture: "amd64", os: "linux", nonce: crypto.randomUUID() }));
  const layers = [randomBlob(options.layerSize ?? 300_000), randomBlob(1000)];
  const manifest = manifestOf(config, layers);
  return { config, layers, manifest, all: [config, ...layers, manifest] };
}

/**
 * What the read-only contract expects a store to hold: an image tagged `v1`, an index over it
 * tagged `multi`, two referrers of the image (an SBOM and a signature) and an empty blob.
 */
export interface Fixture {
  items: Item[];
  tags: Record<string, Descriptor>;
  image: ReturnType<typeof makeImage>;
  index: Item;
  sbom: Item;
  signature: Item;
  empty: Item;
}

export function makeFixture(): Fixture {
  const image = makeImage();
  const index = indexOf([image.manifest]);
  const cfg = emptyConfig();
  const sbomLayer = item("application/json", JSON.stringify({ packages: [] }));
  const sbom = manifestOf(cfg, [sbomLayer], { subject: image.manifest.desc, artifactType: SBOM_TYPE, annotations: { "org.example.kind": "sbom" } });
  const sigLayer = item("application/octet-stream", "signature bytes");
  const signature = manifestOf(cfg, [sigLayer], { subject: image.manifest.desc, artifactType: SIGNATURE_TYPE });
  const empty = item("application/octet-stream", new Uint8Array(0));
  return {
    items: [...image.all, index, cfg, sbomLayer, sbom, sigLayer, signature, empty],
    tags: { v1: image.manifest.desc, multi: index.desc },
    image,
    index,
    sbom,
    signature,
    empty,
  };
}

/** A stream that yields `bytes` in chunks of `chunkSize`. */
export function chunked(bytes: Uint8Array, chunkSize = 65536): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/** A stream that yields `good` bytes then fails, as a broken connection does. */
export function failingAfter(bytes: Uint8Array, good: number, error = new Error("connection reset (test stand-in)")): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes.slice(0, good));
        return;
      }
      controller.error(error);
    },
  });
}

export async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await Bun.readableStreamToArrayBuffer(stream));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}
