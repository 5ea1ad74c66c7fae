import { canListReferrers, type Body, type FetchOptions, type PushOptions, type Target } from "../../src/content/types.ts";
import type { Descriptor } from "../../src/oci/schemas.ts";

/**
 * TEST STAND-IN: a Target that wraps a real store and injects faults and delays, because no
 * real store breaks on cue. It fails a chosen blob's fetch after some bytes (a dropped
 * connection), corrupts a blob's bytes, fails a push, slows transfers, and records how many
 * transfers ran at once and what was fetched.
 */
export class FaultyTarget implements Target {
  readonly inner: Target;
  /** Fetch of this digest errors after `afterBytes` bytes. */
  breakFetch: { digest: string; afterBytes: number } | undefined;
  /** Fetch of this digest flips a byte (the inner store's bytes are fine). */
  corruptFetch: string | undefined;
  /** Push of this digest fails before storing anything. */
  breakPush: string | undefined;
  /** Each fetch waits this long before answering, to make concurrency observable. */
  delayMs = 0;
  fetched: string[] = [];
  active = 0;
  maxActive = 0;

  constructor(inner: Target) {
    this.inner = inner;
  }

  async fetch(desc: Descriptor, options?: FetchOptions): Promise<ReadableStream<Uint8Array>> {
    this.fetched.push(desc.digest);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.delayMs) await Bun.sleep(this.delayMs);
    } finally {
      this.active--;
    }
    const stream = await this.inner.fetch(desc, options);
    if (this.breakFetch?.digest === desc.digest) return breakAfter(stream, this.breakFetch.afterBytes);
    if (this.corruptFetch === desc.digest) return corrupt(stream);
    return stream;
  }

  exists(desc: Descriptor): Promise<boolean> {
    return this.inner.exists(desc);
  }

  async push(desc: Descriptor, body: Body, options?: PushOptions): Promise<void> {
    if (this.breakPush === desc.digest) {
      if (body instanceof ReadableStream) await body.cancel();
      throw new Error("disk full (test stand-in)");
    }
    return this.inner.push(desc, body, options);
  }

  resolve(reference: string): Promise<Descriptor> {
    return this.inner.resolve(reference);
  }

  tag(desc: Descriptor, reference: string): Promise<void> {
    return this.inner.tag(desc, reference);
  }

  referrers(desc: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    if (!canListReferrers(this.inner)) return Promise.resolve([]);
    return this.inner.referrers(desc, artifactType);
  }
}

function breakAfter(stream: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= limit) {
        await reader.cancel();
        controller.error(new Error("connection reset by peer (test stand-in)"));
        return;
      }
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const part = value.subarray(0, limit - sent);
      sent += part.byteLength;
      controller.enqueue(part);
    },
  });
}

/** The inner (verified) bytes with one byte flipped, re-checked by nobody: the copy must notice. */
function corrupt(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let first = true;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (first && chunk.byteLength > 0) {
          const copy = chunk.slice();
          copy[0] = copy[0]! ^ 0xff;
          controller.enqueue(copy);
          first = false;
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}
