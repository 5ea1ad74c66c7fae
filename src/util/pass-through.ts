/** What a pass-through does as bytes go by (see passThrough). */
export interface PassThroughHooks {
  /** Each chunk, before the consumer gets it; throwing fails the stream. */
  chunk?(chunk: Uint8Array): void;
  /** The source ended, before the consumer sees the end; throwing fails the stream instead. */
  end?(): void | Promise<void>;
  /** Reading the source failed: returns the error the consumer gets (default: the same). */
  error?(error: unknown): unknown;
  /** The consumer gave up, before the source is cancelled. */
  cancel?(reason: unknown): void | Promise<void>;
}

/**
 * `source`, passed on chunk by chunk with hooks along the way: the one shape of the cache's
 * tee, copy's byte counter and the pull-through's after-effects. One chunk of read-ahead
 * keeps it as fast as a plain pipe (measured), without buffering more than a chunk.
 *
 * @example passThrough(download, { chunk: (c) => file.write(c), end: () => file.commit(path) })
 */
export function passThrough(source: ReadableStream<Uint8Array>, hooks: PassThroughHooks): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          throw hooks.error ? await hooks.error(error) : error;
        }
        if (result.done) {
          await hooks.end?.();
          controller.close();
          return;
        }
        hooks.chunk?.(result.value);
        controller.enqueue(result.value);
      },
      async cancel(reason) {
        await hooks.cancel?.(reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 1 },
  );
}
