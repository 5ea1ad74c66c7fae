import { CopyError } from "../errors/index.ts";
import { isManifest } from "../content/successors.ts";
import type { Descriptor } from "../oci/schemas.ts";

/**
 * Wraps a failure in a CopyError naming the side and the descriptor, once: an error that is
 * a CopyError already, or the abort reason of `signal`, passes through unchanged.
 */
export function attribute(error: unknown, side: "source" | "destination", desc: Descriptor, signal?: AbortSignal): unknown {
  if (error instanceof CopyError) return error;
  if (signal?.aborted && error === signal.reason) return error;
  const what = `${isManifest(desc) ? "manifest" : "blob"} ${desc.digest}`;
  const verb = side === "source" ? "cannot read" : "cannot write";
  const where = side === "source" ? "from the source" : "to the destination";
  const hint = (error as { hint?: unknown }).hint;
  return new CopyError(`${verb} ${what} ${where}: ${firstLine(error)}`, {
    cause: error,
    side,
    descriptor: desc,
    ...(typeof hint === "string" ? { hint } : {}),
  });
}

/**
 * Runs `fn`, attributing what it throws to `side`.
 *
 * @example await on("destination", desc, signal, () => dst.push(desc, bytes));
 */
export async function on<T>(side: "source" | "destination", desc: Descriptor, signal: AbortSignal | undefined, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw attribute(error, side, desc, signal);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0] ?? "";
}
