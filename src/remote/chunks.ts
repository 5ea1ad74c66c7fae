import { DigestMismatchError, NetworkError } from "../errors/index.ts";
import type { Descriptor } from "../oci/schemas.ts";

/**
 * Cuts a blob's source into upload chunks, one buffer at a time: the chunk in flight stays in
 * memory (so a broken PATCH can be resent from the registry's offset) and nothing else does.
 * A `reopen` function, or bytes in memory, let the upload start over when the registry lost
 * the session.
 */
export class ChunkSource {
  readonly #desc: Descriptor;
  readonly #bytes: Uint8Array | undefined;
  readonly #reopen: ((offset: number) => Promise<ReadableStream<Uint8Array>>) | undefined;
  #reader: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>; cancel(): Promise<void> } | undefined;
  #pending: Uint8Array | undefined;
  #offset = 0;
  /** Two buffers, alternated, so the next chunk can be read while the last one is sent. */
  readonly #buffers: (Uint8Array | undefined)[] = [undefined, undefined];
  #turn = 0;
  #inflight: Promise<unknown> | undefined;
  #used = false;

  constructor(body: ReadableStream<Uint8Array> | Uint8Array, desc: Descriptor, reopen?: (offset: number) => Promise<ReadableStream<Uint8Array>>) {
    this.#desc = desc;
    this.#reopen = reopen;
    if (body instanceof Uint8Array) this.#bytes = body;
    else this.#reader = body.getReader();
  }

  /** Whether `restart` can go back to byte 0. */
  canRestart(): boolean {
    return this.#bytes !== undefined || this.#reopen !== undefined || !this.#used;
  }

  async restart(): Promise<void> {
    await this.#inflight?.catch(() => {});
    if (this.#offset === 0 && !this.#used) return;
    if (this.#bytes) {
      this.#offset = 0;
      return;
    }
    if (!this.#reopen) throw new NetworkError(`the upload of ${this.#desc.digest} failed and its source cannot be read again`);
    await this.#reader?.cancel().catch(() => {});
    this.#reader = (await this.#reopen(0)).getReader();
    this.#pending = undefined;
    this.#offset = 0;
  }

  /**
   * The next chunk of up to `size` bytes (the last may be shorter). The returned bytes stay
   * valid until the call after next: two buffers take turns.
   */
  next(size: number): Promise<Uint8Array> {
    const promise = this.#next(size);
    this.#inflight = promise;
    return promise;
  }

  async #next(size: number): Promise<Uint8Array> {
    this.#used = true;
    const want = Math.min(size, this.#desc.size - this.#offset);
    if (this.#bytes) {
      const chunk = this.#bytes.subarray(this.#offset, this.#offset + want);
      if (chunk.byteLength < want) throw new DigestMismatchError(`content pushed as ${this.#desc.digest} is shorter than ${this.#desc.size} bytes`);
      this.#offset += want;
      return chunk;
    }
    this.#turn ^= 1;
    let buffer = this.#buffers[this.#turn];
    if (!buffer || buffer.byteLength < want) {
      buffer = new Uint8Array(Math.max(want, size));
      this.#buffers[this.#turn] = buffer;
    }
    let filled = 0;
    while (filled < want) {
      let piece = this.#pending;
      this.#pending = undefined;
      if (!piece) {
        const { done, value } = await this.#reader!.read();
        if (done || !value) throw new DigestMismatchError(`content pushed as ${this.#desc.digest} ended at ${this.#offset + filled} of ${this.#desc.size} bytes`);
        piece = value;
      }
      const take = Math.min(piece.byteLength, want - filled);
      buffer.set(piece.subarray(0, take), filled);
      filled += take;
      if (take < piece.byteLength) this.#pending = piece.subarray(take);
    }
    this.#offset += want;
    if (this.#offset === this.#desc.size) await this.#checkEnd();
    return buffer.subarray(0, want);
  }

  /** A source with bytes past the announced size does not match its descriptor. */
  async #checkEnd(): Promise<void> {
    if (this.#pending && this.#pending.byteLength > 0) throw this.#tooLong();
    const { done, value } = await this.#reader!.read();
    if (!done && value && value.byteLength > 0) {
      await this.#reader!.cancel().catch(() => {});
      throw this.#tooLong();
    }
  }

  #tooLong(): DigestMismatchError {
    return new DigestMismatchError(`content pushed as ${this.#desc.digest} is longer than ${this.#desc.size} bytes`);
  }
}
