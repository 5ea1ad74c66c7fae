import { InterruptedError } from "../errors/index.ts";

/**
 * Ctrl-C (SIGINT) or SIGTERM during a one-shot transfer (push, pull, copy): the signal
 * aborts it, so every store removes what it had started (no partial file is left, not even a
 * hidden temporary one) and the command fails with InterruptedError (exit 1). A second
 * signal exits at once (130). `off()` unhooks the handlers when the command is over.
 *
 * @example const stop = onInterrupt(); try { await pullArtifact(…, { signal: stop.signal }); } finally { stop.off(); }
 */
export function onInterrupt(): { signal: AbortSignal; off(): void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new InterruptedError(`interrupted (${signal})`, { hint: "nothing partial is left where it can be seen; run the same command again: what had arrived whole is not sent again" }));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    off() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
