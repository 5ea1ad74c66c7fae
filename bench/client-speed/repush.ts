import type { Client } from "./clients.ts";
import { countingProxy } from "./measure.ts";
import type { Ctx, Registry } from "./workloads.ts";

/** One client pushing unchanged content again: how long, and what it sent. */
export interface Repush {
  seconds: number;
  /** Bytes the client sent to the registry (requests, headers and bodies), counted on the wire. */
  wireBytes: number;
  /** Blob and manifest bytes idp says it uploaded (its --json `bytes`); undefined for peers. */
  reportedBytes: number | undefined;
}

/**
 * Pushes the 512 MiB artifact again to the repository and tag the same client pushed it to,
 * through a counting TCP proxy: a client that skips what the registry has sends a few KiB of
 * requests; one that uploads again sends 512 MiB.
 */
export async function repush(registry: Registry, client: Client, ctx: Ctx, ref: string): Promise<Repush> {
  const proxy = await countingProxy(registry.port);
  try {
    const { ms, stdout } = await ctx.time(client.push(`127.0.0.1:${proxy.port}`, ref, ctx.big));
    const reportedBytes = client.id.startsWith("idp") ? (JSON.parse(stdout) as { bytes: number }).bytes : undefined;
    return { seconds: ms / 1000, wireBytes: proxy.up, reportedBytes };
  } finally {
    await proxy.stop();
  }
}
