import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { readdir, readFile, rm, rmdir, unlink } from "node:fs/promises";
import { dirname, join, resolve as resolvePath } from "node:path";
import { DigestMismatchError, InvalidInputError, NotFoundError } from "../errors/index.ts";
import { INDEX_FILE, emptyIndex } from "../content/layout/index-file.ts";
import { TempFile, fileSize, placeBytes, sweepTemporaryFiles } from "../content/layout/files.ts";
import { ingestBlob } from "../content/layout/ingest.ts";
import { guessManifestType } from "../content/layout/manifests.ts";
import { MAX_MANIFEST_BYTES } from "../content/successors.ts";
import type { Body, FetchOptions, PushOptions } from "../content/types.ts";
import { storedStream } from "../content/verify.ts";
import { parseDigest } from "../oci/digest.ts";
import { OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/schemas.ts";
import { CACHE_WRITE } from "./durability.ts";
import { passThrough } from "../util/pass-through.ts";
import { readRef, refFile, REFS_DIR, writeRef, type CachedRef } from "./refs.ts";

/** Writes a small new file in one call; one that exists already is left as it is. */
function createOnce(path: string, text: string): void {
  try {
    writeFileSync(path, text, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/**
 * idp's local content-addressed cache (`IDP_OCI_CACHE_DIR`, default `~/.idp/oci-cache`).
 *
 * On disk it is an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), so
 * `LayoutStore.open(dir)` and other layout readers can fetch its blobs by digest, plus
 * `refs/<registry>/<repository>/@tags/<tag>`: one small JSON file per tag the cache has seen.
 *
 * Safe for several idp processes at once without a lock, because nothing is ever
 * read-modified-written: a blob is streamed into a temporary file beside the others and
 * renamed into place only when complete and verified (two processes writing the same blob
 * both rename identical content), and each ref is its own file replaced atomically. A blob's
 * modification time is its last use (touched on every read), which is what LRU eviction
 * sorts by.
 *
 * @example
 * const cache = await OciCache.open(ociCacheDir());
 * const repo = cache.repository("127.0.0.1:5000/team/app"); // a Target
 */
export class OciCache {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** Opens (creating when needed) the cache at `dir`, sweeping temporary files of dead processes. */
  static async open(dir: string): Promise<OciCache> {
    const root = resolvePath(dir);
    // Synchronous: a few microseconds each, where every asynchronous call is a thread-pool trip.
    if (!existsSync(join(root, OCI_LAYOUT_FILE))) {
      mkdirSync(join(root, "blobs", "sha256"), { recursive: true });
      // Created whole in one write, exclusively (a process creating the same cache at the
      // same moment writes the same bytes): the layout's files, index.json before the marker.
      createOnce(join(root, INDEX_FILE), `${JSON.stringify(emptyIndex(), null, 2)}\n`);
      createOnce(join(root, OCI_LAYOUT_FILE), `${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`);
    }
    await sweepTemporaryFiles(root);
    return new OciCache(root);
  }

  blobPath(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.root, "blobs", algorithm, encoded);
  }

  /** True when the blob is present with the descriptor's size. */
  async has(desc: Descriptor): Promise<boolean> {
    return (await fileSize(this.blobPath(desc.digest))) === desc.size;
  }

  /** Streams a blob, verified; marks it used now (for LRU). */
  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const path = this.blobPath(desc.digest);
    const size = await fileSize(path);
    if (size === undefined) throw new NotFoundError(`${desc.digest} is not in the cache`);
    const offset = options.offset ?? 0;
    if (offset < 0 || offset > desc.size) throw new InvalidInputError(`offset ${offset} is outside ${desc.digest} (${desc.size} bytes)`);
    void this.touch(desc.digest);
    return storedStream(Bun.file(path), desc, options);
  }

  /** Stores verified content (manifests are parsed and refused when invalid). */
  async push(desc: Descriptor, body: Body, options: PushOptions = {}): Promise<void> {
    await ingestBlob(this.root, this.blobPath(desc.digest), desc, body, options, () => this.has(desc), CACHE_WRITE);
  }

  /**
   * A pass-through that also writes what flows into the cache: the blob appears once the
   * stream ends (the source's verifier has then checked it), and nothing appears if the
   * stream fails or is cancelled. Used by pull-through reads, so a blob is downloaded once.
   */
  async teeInto(desc: Descriptor, source: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
    const file = await TempFile.create(this.root);
    const target = this.blobPath(desc.digest);
    let size = 0;
    return passThrough(source, {
      chunk(chunk) {
        file.write(chunk);
        size += chunk.byteLength;
      },
      async end() {
        try {
          // The source verified size and digest before ending; the size check guards
          // against a source that does not keep that contract.
          if (size === desc.size) await file.commit(target, CACHE_WRITE);
        } finally {
          await file.discard();
        }
      },
      async error(error) {
        await file.discard();
        return error;
      },
      cancel: () => file.discard(),
    });
  }

  /**
   * Writes a (verifying) source stream into the cache and returns the blob's path: the sink
   * form of teeInto, one loop instead of a chain of streams. `onChunk` sees every chunk
   * as it is written (a pull writing the same bytes to its output file in the same pass).
   * Nothing appears if the stream fails.
   */
  async ingest(desc: Descriptor, source: ReadableStream<Uint8Array>, onChunk?: (chunk: Uint8Array, total: number) => void): Promise<string> {
    const file = await TempFile.create(this.root);
    const target = this.blobPath(desc.digest);
    try {
      const reader = source.getReader();
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        file.write(value);
        size += value.byteLength;
        onChunk?.(value, size);
      }
      if (size !== desc.size) throw new DigestMismatchError(`${desc.digest}: ${size} of ${desc.size} bytes arrived`);
      await file.commit(target, CACHE_WRITE);
      return target;
    } finally {
      await file.discard();
    }
  }

  /**
   * Stores a blob held whole in memory that the caller has verified (a small layer of a
   * pull), written off the JavaScript thread.
   */
  async store(desc: Descriptor, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength !== desc.size) throw new DigestMismatchError(`${desc.digest}: ${bytes.byteLength} bytes instead of ${desc.size}`);
    await placeBytes(this.root, this.blobPath(desc.digest), bytes);
  }

  /** The descriptor of a cached manifest found by digest alone. */
  async describe(digest: string): Promise<Descriptor | undefined> {
    const path = this.blobPath(digest);
    const size = await fileSize(path);
    if (size === undefined || size > MAX_MANIFEST_BYTES) return undefined;
    const mediaType = guessManifestType(await readFile(path));
    return mediaType === undefined ? undefined : { mediaType, digest, size };
  }

  /** Marks a blob used now; a blob removed meanwhile is simply not there. */
  async touch(digest: string): Promise<void> {
    const now = new Date();
    try {
      utimesSync(this.blobPath(digest), now, now);
    } catch {
      // removed meanwhile
    }
  }

  async deleteBlob(digest: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  repositoryRefs(repository: string): string {
    return join(this.root, REFS_DIR, ...repository.split("/"), "@tags");
  }

  getRef(repository: string, tag: string): Promise<CachedRef | undefined> {
    return readRef(refFile(this.root, repository, tag));
  }

  setRef(repository: string, tag: string, desc: Descriptor): Promise<void> {
    return writeRef(this.root, refFile(this.root, repository, tag), desc);
  }

  async deleteRef(repository: string, tag: string): Promise<void> {
    const path = refFile(this.root, repository, tag);
    await rm(path, { force: true });
    await rmdir(dirname(path)).catch(() => {});
  }

  /** Tags cached for a repository, sorted. */
  async tagsOf(repository: string): Promise<string[]> {
    return (await readdir(this.repositoryRefs(repository)).catch(() => [] as string[])).filter((n) => !n.startsWith(".")).sort();
  }
}
