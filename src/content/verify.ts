import { DigestMismatchError, SizeLimitError } from "../errors/index.ts";
import { Digester, parseSupportedDigest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/schemas.ts";
import type { Body, FetchOptions } from "./types.ts";

/** Options of {@link verifier}. */
export interface VerifyOptions {
  /**
   * Bytes at the start of the content to hash but not pass on: a local store serving
   * `fetch(desc, { offset })` reads from 0 so that the digest is still checked.
   */
  skip?: number;
  /**
   * A digester that has already seen the first bytes of the content (`resume.size` of them):
   * a transfer resumed mid-way passes the bytes that follow and is still checked end to end.
   */
  resume?: Digester;
}

/**
 * A pass-through stream that checks the bytes against `desc` while they flow: it errors with
 * DigestMismatchError as soon as more than `desc.size` bytes arrive, and at the end when fewer
 * arrived or the digest differs. Consumers see the error before the stream ends, so nothing
 * unverified is ever taken as complete.
 *
 * @example
 * const checked = (await fetch(url)).body!.pipeThrough(verifier(desc));
 */
export function verifier(desc: Descriptor, options: VerifyOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const { algorithm } = parseSupportedDigest(desc.digest);
  const digester = options.resume ?? new Digester(algorithm);
  if (digester.algorithm !== algorithm) throw new DigestMismatchError(`resumed ${digester.algorithm} digest cannot check ${desc.digest}`);
  let skip = options.skip ?? 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (digester.size + chunk.byteLength > desc.size) {
        throw mismatch(desc, `more than ${desc.size} bytes arrived`);
      }
      digester.update(chunk);
      if (skip === 0) {
        controller.enqueue(chunk);
      } else if (chunk.byteLength <= skip) {
        skip -= chunk.byteLength;
      } else {
        controller.enqueue(chunk.subarray(skip));
        skip = 0;
      }
    },
    flush() {
      if (digester.size !== desc.size) throw mismatch(desc, `${digester.size} of ${desc.size} bytes arrived`);
      const actual = digester.digest();
      if (actual !== desc.digest) throw mismatch(desc, `content hashes to ${actual}`);
    },
  });
}

/**
 * `stream` checked against `desc` (see {@link verifier}).
 *
 * @example for await (const chunk of verified(file.stream(), desc)) sink.write(chunk);
 */
export function verified(stream: ReadableStream<Uint8Array>, desc: Descriptor, options: VerifyOptions = {}): ReadableStream<Uint8Array> {
  return stream.pipeThrough(verifier(desc, options));
}

/**
 * A stored blob's bytes from `offset`: verified (the whole file hashed, the prefix skipped),
 * or as they are when the consumer verifies them itself (`unverified`, see FetchOptions).
 *
 * @example return storedStream(Bun.file(path), desc, options);
 */
export function storedStream(file: Blob, desc: Descriptor, options: FetchOptions): ReadableStream<Uint8Array> {
  const offset = options.offset ?? 0;
  if (options.unverified) return file.slice(offset).stream();
  return verified(file.stream(), desc, { skip: offset });
}

/**
 * A push body as a stream.
 *
 * @example for await (const chunk of toStream(body)) file.write(chunk);
 */
export function toStream(body: Body): ReadableStream<Uint8Array> {
  if (body instanceof Blob) return body.stream();
  if (!(body instanceof Uint8Array)) return body;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (body.byteLength > 0) controller.enqueue(body);
      controller.close();
    },
  });
}

/**
 * Reads a whole stream into memory, for small content only (manifests, index.json): refuses
 * with SizeLimitError past `maxBytes`, cancelling the stream.
 *
 * @example const bytes = await readAll(await store.fetch(desc), 4 << 20, `manifest ${desc.digest}`);
 */
export async function readAll(stream: ReadableStream<Uint8Array>, maxBytes: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new SizeLimitError(`${what} is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  // One chunk (a small blob read whole) needs no copy.
  const only = chunks.length === 1 ? chunks[0]! : undefined;
  if (only && only.buffer instanceof ArrayBuffer && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) return only as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Checks bytes held in memory against `desc`; DigestMismatchError when they differ.
 *
 * @example verifyBytes(desc, manifestBytes);
 */
export function verifyBytes(desc: Descriptor, bytes: Uint8Array): void {
  if (bytes.byteLength !== desc.size) throw mismatch(desc, `${bytes.byteLength} bytes instead of ${desc.size}`);
  const { algorithm } = parseSupportedDigest(desc.digest);
  const digester = new Digester(algorithm);
  digester.update(bytes);
  const actual = digester.digest();
  if (actual !== desc.digest) throw mismatch(desc, `content hashes to ${actual}`);
}

function mismatch(desc: Descriptor, why: string): DigestMismatchError {
  return new DigestMismatchError(`content of ${desc.digest} does not verify: ${why}`, {
    hint: "the content is corrupt or changed in transit; a verified copy was not made",
  });
}
