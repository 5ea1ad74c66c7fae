import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { copy } from "../copy/index.ts";
import { canPushReference, type Target } from "../content/types.ts";
import { InvalidInputError, NotFoundError } from "../errors/index.ts";
import { Digester, digestOf } from "../oci/digest.ts";
import { Annotation, MediaType } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { observingHooks, type TransferCounts, type TransferObserver } from "./observe.ts";
import { StagedContent } from "./staged.ts";

/** ORAS's artifact type for artifacts that declare none (so oras and idp agree). */
export const UNKNOWN_ARTIFACT_TYPE = "application/vnd.unknown.artifact.v1";
/** Media type of a plain file pushed as a layer, as ORAS uses. */
export const FILE_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar";
const EMPTY_CONFIG = new TextEncoder().encode("{}");

/** One path given to `idp push`: a file or directory, with an optional media type. */
export interface PushPath {
  path: string;
  mediaType?: string;
}

export interface BuildOptions {
  artifactType?: string;
  /** Manifest annotations. */
  annotations?: Record<string, string>;
  /** Per-file annotations, by the file's title (the `--annotation-file` form). */
  fileAnnotations?: Record<string, Record<string, string>>;
  /** A config blob and its media type (default: the empty config). */
  config?: { path: string; mediaType: string };
}

/** Splits `path:media/type` as oras does (a Windows drive letter is not a type). */
export function parsePushPath(arg: string): PushPath {
  const colon = arg.lastIndexOf(":");
  if (colon > 1 && arg.slice(colon + 1).includes("/")) return { path: arg.slice(0, colon), mediaType: arg.slice(colon + 1) };
  return { path: arg };
}

/**
 * Builds the artifact `idp push` sends: each file a layer titled with its name, each
 * directory one reproducible tar+gzip layer that ORAS unpacks, a config (empty unless
 * given), and the manifest. Nothing is read into memory but the config and manifest.
 */
export async function buildArtifact(paths: readonly PushPath[], options: BuildOptions = {}): Promise<{ staged: StagedContent; manifest: Descriptor; layers: Descriptor[] }> {
  if (paths.length === 0 && !options.config) throw new InvalidInputError("nothing to push: give at least one file or directory");
  const staged = new StagedContent();
  const work = await mkdtemp(join(tmpdir(), "idp-push-"));
  staged.addScratch(work);
  try {
    const titles = new Set<string>();
    const layers: Descriptor[] = [];
    for (const p of paths) {
      const info = await stat(p.path).catch(() => undefined);
      if (!info) throw new NotFoundError(`${p.path}: no such file or directory`);
      const title = basename(p.path.replace(/\/+$/, "")) || ".";
      if (titles.has(title)) throw new InvalidInputError(`two paths are both named ${title}; a layer's title must be unique`);
      titles.add(title);
      const extra = options.fileAnnotations?.[title] ?? {};
      if (info.isDirectory()) {
        const file = join(work, `layer-${layers.length}.tgz`);
        // Packing (zlib, tar) loads only when a directory is pushed.
        const { packLayerToFile } = await import("../pack/index.ts");
        const packed = await packLayerToFile([{ path: p.path, name: title }], file);
        const desc: Descriptor = {
          mediaType: p.mediaType ?? MediaType.ociLayerGzip,
          digest: packed.digest,
          size: packed.size,
          annotations: { [Annotation.title]: title, [Annotation.orasUnpack]: "true", [Annotation.orasContentDigest]: packed.diffId, ...extra },
        };
        staged.addFile(desc, file);
        layers.push(desc);
      } else if (info.isFile()) {
        const digest = await digestFile(p.path);
        const desc: Descriptor = { mediaType: p.mediaType ?? FILE_MEDIA_TYPE, digest, size: info.size, annotations: { [Annotation.title]: title, ...extra } };
        staged.addFile(desc, p.path);
        layers.push(desc);
      } else {
        throw new InvalidInputError(`${p.path} is neither a file nor a directory`);
      }
    }
    const configBytes = options.config ? new Uint8Array(await Bun.file(options.config.path).arrayBuffer()) : EMPTY_CONFIG;
    const config: Descriptor = { mediaType: options.config?.mediaType ?? MediaType.ociEmpty, digest: digestOf(configBytes), size: configBytes.byteLength };
    staged.addBytes(config, configBytes);
    const annotations = { ...createdAnnotation(), ...(options.fileAnnotations?.$manifest ?? {}), ...options.annotations };
    const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.ociManifest };
    const artifactType = options.artifactType ?? (options.config ? undefined : UNKNOWN_ARTIFACT_TYPE);
    if (artifactType) doc.artifactType = artifactType;
    doc.config = config;
    doc.layers = layers.length ? layers : [{ mediaType: MediaType.ociEmpty, digest: config.digest, size: config.size }];
    if (Object.keys(annotations).length) doc.annotations = annotations;
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    const manifest: Descriptor = { mediaType: MediaType.ociManifest, digest: digestOf(bytes), size: bytes.byteLength };
    staged.addBytes(manifest, bytes);
    return { staged, manifest, layers };
  } catch (error) {
    await staged.dispose();
    throw error;
  }
}

/** Copies a built artifact to `dst` and tags it with every tag given. */
export async function pushArtifact(
  built: { staged: StagedContent; manifest: Descriptor },
  dst: Target,
  tags: readonly string[],
  options: { observer?: TransferObserver; concurrency?: number; mountFrom?: string } = {},
): Promise<TransferCounts> {
  const { hooks, counts } = observingHooks(options.observer);
  try {
    // The manifest goes up under its first tag in one PUT (copy's root tag); each further tag
    // is one PUT of the bytes in hand, where tag() would GET the manifest back first.
    const [first = "", ...rest] = tags;
    await copy(built.staged, built.manifest.digest, dst, first, { ...hooks, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
    const bytes = built.staged.bytes(built.manifest.digest);
    for (const tag of rest) {
      if (bytes && canPushReference(dst)) await dst.pushManifest(built.manifest, bytes, tag);
      else await dst.tag(built.manifest, tag);
    }
  } finally {
    await built.staged.dispose();
  }
  return counts;
}

/** `org.opencontainers.image.created` only from SOURCE_DATE_EPOCH, so digests stay reproducible. */
export function createdAnnotation(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (!epoch || !/^\d+$/.test(epoch)) return {};
  return { [Annotation.created]: new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, "Z") };
}

async function digestFile(path: string): Promise<string> {
  const d = new Digester();
  for await (const chunk of Bun.file(path).stream()) d.update(chunk);
  return d.digest();
}
