import { Readable, type Transform } from "node:stream";
import * as zlib from "node:zlib";
import { UnsupportedError } from "../errors/index.ts";

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * The bytes of `source`, decompressed when they start with a gzip or zstd magic number and
 * passed through otherwise (plain tar). node:zlib streams apply backpressure and emit small
 * chunks, so a highly compressed archive (a "zip bomb") never expands in memory.
 *
 * @example for await (const chunk of decompressed(layerStream)) parser.write(chunk);
 */
export async function* decompressed(source: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = source.getReader();
  let head: Uint8Array = new Uint8Array(0);
  try {
    while (head.byteLength < 4) {
      const { done, value } = await reader.read();
      if (done) break;
      head = concat(head, value);
    }
  } finally {
    reader.releaseLock();
  }
  const rest = prepend(head, source);
  if (startsWith(head, GZIP)) {
    yield* inflated(rest, zlib.createGunzip());
  } else if (startsWith(head, ZSTD)) {
    const create = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (!create) throw new UnsupportedError("zstd-compressed archives are not supported by this runtime");
    yield* inflated(rest, create());
  } else {
    yield* rest;
  }
}

/**
 * `source` through a decompressor. pipe() does not pass errors on: a source that fails
 * (a digest mismatch, a cut connection) must fail the decompressor, which the consumer
 * reads, rather than be thrown where nobody listens. Stopping early destroys both.
 */
async function* inflated(source: ReadableStream<Uint8Array>, decompressor: Transform): AsyncGenerator<Uint8Array> {
  const input = Readable.fromWeb(source as import("node:stream/web").ReadableStream<Uint8Array>);
  input.on("error", (error) => decompressor.destroy(error));
  input.pipe(decompressor);
  try {
    yield* decompressor as AsyncIterable<Uint8Array>;
  } finally {
    input.destroy();
    decompressor.destroy();
  }
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** `source` with `head` (already read from it) put back in front. */
function prepend(head: Uint8Array, source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let first = head.byteLength > 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (first) {
          first = false;
          controller.enqueue(head);
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 1 },
  );
}
