import { closeSync, openSync, readSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { copy, startCopy } from "../copy/index.ts";
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
 * Checks every path before anything is read or sent: it exists, is a file or directory, and
 * its title (base name) is unique. Returns what buildArtifact needs of each.
 */
export function checkPushPaths(paths: readonly PushPath[]): { p: PushPath; title: string; directory: boolean; size: number }[] {
  const titles = new Set<string>();
  const checked: { p: PushPath; title: string; directory: boolean; size: number }[] = [];
  for (const p of paths) {
    const info = statSync(p.path, { throwIfNoEntry: false });
    if (!info) throw new NotFoundError(`${p.path}: no such file or directory`);
    if (!info.isDirectory() && !info.isFile()) throw new InvalidInputError(`${p.path} is neither a file nor a directory`);
    const title = basename(p.path.replace(/\/+$/, "")) || ".";
    if (titles.has(title)) throw new InvalidInputError(`two paths are both named ${title}; a layer's title must be unique`);
    titles.add(title);
    checked.push({ p, title, directory: info.isDirectory(), size: info.size });
  }
  return checked;
}

/** Where buildArtifact stages content, and who hears of each blob as soon as it is staged. */
export interface StageOptions {
  staged?: StagedContent;
  /** A layer or the config is staged (its digest known): a push can start uploading it. */
  onBlob?: (desc: Descriptor) => void;
  /** Stops between files. */
  signal?: AbortSignal;
}

/**
 * Builds the artifact `idp push` sends: each file a layer titled with its name, each
 * directory one reproducible tar+gzip layer that ORAS unpacks, a config (empty unless
 * given), and the manifest. Nothing is read into memory but the config and manifest. Every
 * path is checked before any is hashed, so a typo fails before anything is sent.
 */
export async function buildArtifact(paths: readonly PushPath[], options: BuildOptions = {}, stage: StageOptions = {}): Promise<{ staged: StagedContent; manifest: Descriptor; layers: Descriptor[] }> {
  if (paths.length === 0 && !options.config) throw new InvalidInputError("nothing to push: give at least one file or directory");
  const staged = stage.staged ?? new StagedContent();
  try {
    const checked = checkPushPaths(paths);
    const layers: Descriptor[] = [];
    let work: string | undefined;
    for (const { p, title, directory, size } of checked) {
      stage.signal?.throwIfAborted();
      const extra = options.fileAnnotations?.[title] ?? {};
      let desc: Descriptor;
      if (directory) {
        if (work === undefined) {
          work = await mkdtemp(join(tmpdir(), "idp-push-"));
          staged.addScratch(work);
        }
        const file = join(work, `layer-${layers.length}.tgz`);
        // Packing (zlib, tar) loads only when a directory is pushed.
        const { packLayerToFile } = await import("../pack/index.ts");
        const packed = await packLayerToFile([{ path: p.path, name: title }], file);
        desc = {
          mediaType: p.mediaType ?? MediaType.ociLayerGzip,
          digest: packed.digest,
          size: packed.size,
          annotations: { [Annotation.title]: title, [Annotation.orasUnpack]: "true", [Annotation.orasContentDigest]: packed.diffId, ...extra },
        };
        staged.addFile(desc, file);
      } else {
        desc = { mediaType: p.mediaType ?? FILE_MEDIA_TYPE, digest: digestFile(p.path), size, annotations: { [Annotation.title]: title, ...extra } };
        staged.addFile(desc, p.path);
      }
      layers.push(desc);
      if (stage.onBlob) {
        stage.onBlob(desc);
        // Hashing blocks: let the uploads started so far send their requests meanwhile.
        await new Promise((resume) => setImmediate(resume));
      }
    }
    const configBytes = options.config ? new Uint8Array(await Bun.file(options.config.path).arrayBuffer()) : EMPTY_CONFIG;
    const config: Descriptor = { mediaType: options.config?.mediaType ?? MediaType.ociEmpty, digest: digestOf(configBytes), size: configBytes.byteLength };
    staged.addBytes(config, configBytes);
    stage.onBlob?.(config);
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

/**
 * `idp push`: builds the artifact and sends it, each blob's upload starting as soon as its
 * digest is known, while the next file is still being hashed (hashing is the CPU's work,
 * an upload of a file mostly the kernel's). The manifest goes last, under the first tag;
 * further tags are one PUT each.
 */
export async function pushFiles(
  paths: readonly PushPath[],
  build: BuildOptions,
  dst: Target,
  tags: readonly string[],
  options: { observer?: TransferObserver; concurrency?: number; signal?: AbortSignal } = {},
): Promise<{ manifest: Descriptor; layers: Descriptor[]; counts: TransferCounts }> {
  const { hooks, counts } = observingHooks(options.observer);
  const staged = new StagedContent();
  const signal = options.signal;
  const upload = startCopy(staged, dst, { ...hooks, ...(options.concurrency ? { concurrency: options.concurrency } : {}), ...(signal ? { signal } : {}) });
  try {
    let built: Awaited<ReturnType<typeof buildArtifact>>;
    try {
      built = await buildArtifact(paths, build, { staged, onBlob: (desc) => upload.start(desc), ...(signal ? { signal } : {}) });
    } catch (error) {
      upload.abort(error);
      throw error;
    }
    const [first = "", ...rest] = tags;
    await upload.finish(built.manifest, first);
    await tagFurther(staged, built.manifest, dst, rest);
    return { manifest: built.manifest, layers: built.layers, counts };
  } finally {
    await staged.dispose();
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
    // The manifest goes up under its first tag in one PUT (copy's root tag).
    const [first = "", ...rest] = tags;
    await copy(built.staged, built.manifest.digest, dst, first, { ...hooks, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
    await tagFurther(built.staged, built.manifest, dst, rest);
  } finally {
    await built.staged.dispose();
  }
  return counts;
}

/**
 * The tags after the first: one PUT each of the manifest bytes in hand, where tag() would GET
 * the manifest back first.
 */
async function tagFurther(staged: StagedContent, manifest: Descriptor, dst: Target, tags: readonly string[]): Promise<void> {
  const bytes = staged.bytes(manifest.digest);
  for (const tag of tags) {
    if (bytes && canPushReference(dst)) await dst.pushManifest(manifest, bytes, tag);
    else await dst.tag(manifest, tag);
  }
}

/** `org.opencontainers.image.created` only from SOURCE_DATE_EPOCH, so digests stay reproducible. */
export function createdAnnotation(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (!epoch || !/^\d+$/.test(epoch)) return {};
  return { [Annotation.created]: new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, "Z") };
}

/** A file's sha256, read in 4 MiB blocks (faster than a stream's 64 KiB chunks). */
function digestFile(path: string): string {
  const d = new Digester();
  const fd = openSync(path, "r");
  try {
    const block = new Uint8Array(4 * 1024 * 1024);
    for (;;) {
      const n = readSync(fd, block, 0, block.byteLength, null);
      if (n === 0) break;
      d.update(block.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return d.digest();
}
