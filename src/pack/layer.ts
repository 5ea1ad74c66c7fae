import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { InvalidInputError } from "../errors/index.ts";
import { Digester } from "../oci/digest.ts";
import { MediaType } from "../oci/mediatypes.ts";
import { tarBytes } from "./tar-writer.ts";
import { walk, type PackSource } from "./walk.ts";

export interface PackOptions {
  /**
   * Seconds since the epoch stamped on every entry. Default: `SOURCE_DATE_EPOCH` from the
   * environment (the reproducible-builds convention), else 0.
   */
  sourceDateEpoch?: number;
  /** gzip level 1 (fast) … 9 (small). Default 6, as gzip and Docker use. */
  level?: number;
}

/** What a packed layer is: enough to write its descriptor and its config's `diff_ids`. */
export interface PackedLayer {
  mediaType: typeof MediaType.ociLayerGzip;
  /** Digest of the compressed bytes (the blob). */
  digest: string;
  size: number;
  /** Digest of the uncompressed tar (the image config's `rootfs.diff_ids`). */
  diffId: string;
  /** Bytes before compression. */
  uncompressedSize: number;
}

/**
 * Packs files and directories into one reproducible tar+gzip layer, streamed: the same tree
 * gives byte-identical output on every run, whatever its files' times, owners or inode
 * sharing (see walk and tarBytes), and memory stays flat however large the tree.
 *
 * Compression is node:zlib's streaming gzip rather than Bun.gzipSync (whole buffers) or
 * CompressionStream (no level, no control of the header): it applies backpressure, takes a
 * level, and its header has mtime 0. Its OS byte is the zlib build's (3 on Unix, 19 on
 * macOS), so it is pinned to 255 ("unknown", as Go's gzip writes) for output that does not
 * depend on the machine. The deflate bytes depend on the zlib implementation, which is
 * fixed per idp build.
 *
 * @example
 * const { stream, done } = packLayer([{ path: "./site", name: "." }]);
 * await store.push(desc, stream); // desc from a first pass, or use packLayerToFile
 */
export function packLayer(sources: readonly PackSource[], options: PackOptions = {}): { stream: ReadableStream<Uint8Array>; done: Promise<PackedLayer> } {
  const mtime = new Date(epochOf(options) * 1000);
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new InvalidInputError(`gzip level ${level} is not 1-9`);
  const tarDigest = new Digester();
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of tarBytes(walk(sources), mtime)) {
      tarDigest.update(chunk);
      yield chunk;
    }
  }
  const gzip = createGzip({ level, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const input = Readable.from(hashed(), { objectMode: false });
  input.on("error", (error) => gzip.destroy(error));
  input.pipe(gzip);

  const blobDigest = new Digester();
  let settle!: { resolve(layer: PackedLayer): void; reject(error: unknown): void };
  const done = new Promise<PackedLayer>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // callers that only read the stream see the error there
  const iterator = gzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first = true;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<Buffer>;
        try {
          next = await iterator.next();
        } catch (error) {
          settle.reject(error);
          throw error;
        }
        if (next.done) {
          controller.close();
          settle.resolve({ mediaType: MediaType.ociLayerGzip, digest: blobDigest.digest(), size: blobDigest.size, diffId: tarDigest.digest(), uncompressedSize: tarDigest.size });
          return;
        }
        let chunk = new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        if (first && chunk.byteLength >= 10) {
          chunk = chunk.slice();
          chunk[9] = 255;
          first = false;
        }
        blobDigest.update(chunk);
        controller.enqueue(chunk);
      },
      async cancel(reason) {
        input.destroy();
        gzip.destroy();
        settle.reject(reason);
      },
    },
    { highWaterMark: 1 },
  );
  return { stream, done };
}

/**
 * Packs into `file` and returns the layer's facts: the usual first step of a push, which
 * needs the digest before the upload starts.
 *
 * @example const layer = await packLayerToFile([{ path: "dist", name: "." }], "/tmp/layer.tgz");
 */
export async function packLayerToFile(sources: readonly PackSource[], file: string, options: PackOptions = {}): Promise<PackedLayer> {
  const { stream, done } = packLayer(sources, options);
  await pipeline(Readable.fromWeb(stream as import("node:stream/web").ReadableStream<Uint8Array>), createWriteStream(file, { mode: 0o644 }));
  return done;
}

function epochOf(options: PackOptions): number {
  if (options.sourceDateEpoch !== undefined) return checkEpoch(options.sourceDateEpoch, "sourceDateEpoch");
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === "") return 0;
  if (!/^[0-9]+$/.test(env)) throw new InvalidInputError(`SOURCE_DATE_EPOCH=${JSON.stringify(env.slice(0, 40))} is not a number of seconds`);
  return checkEpoch(Number(env), "SOURCE_DATE_EPOCH");
}

function checkEpoch(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 8 ** 11 - 1) throw new InvalidInputError(`${what} ${value} is not a time tar can hold`);
  return value;
}
