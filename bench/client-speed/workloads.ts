import type { Client, ClientId } from "./clients.ts";
import type { Artifact } from "./fixtures.ts";

/** A registry the clients run against, as the workloads need it. */
export interface Registry {
  name: string;
  host: string;
  url: string;
  port: number;
}

/** What a workload needs to run one client once. */
export interface Ctx {
  big: Artifact;
  layers: Artifact;
  small: Artifact[];
  /** Runs an invocation with a fresh HOME; returns milliseconds and stdout. */
  time(inv: ReturnType<Client["push"]>): Promise<{ ms: number; stdout: string }>;
  /** A new, not yet existing directory for a pull to write into (removed by `done`). */
  outDir(label: string): string;
  done(path: string): void;
  checkPulled(client: Client, out: string, artifact: Artifact): void;
}

/**
 * One thing measured per (registry, client). `value` is in `unit`; `higher` says whether
 * more is better. The target is the issue's: a ratio over skopeo, or over the best peer.
 */
export interface Workload {
  id: string;
  title: string;
  unit: "MiB/s" | "ops/s" | "s";
  higher: boolean;
  target: { over: "skopeo" | "best"; ratio: number };
  /** Also run plain curl, to show what the registry allows (see curlClient). */
  ceiling?: boolean;
  /** Also run bun-floor, to show what a Bun program costs per command (see bunFloorClient). */
  floor?: boolean;
  /** Runs once per round (the small-artifact workloads count many operations in one run). */
  run(registry: Registry, client: Client, ctx: Ctx, round: number): Promise<number>;
}

const mibps = (bytes: number, ms: number) => bytes / (1024 * 1024) / (ms / 1000);

async function pushOnce(registry: Registry, client: Client, ctx: Ctx, artifact: Artifact, ref: string): Promise<number> {
  const { ms } = await ctx.time(client.push(registry.host, ref, artifact));
  return mibps(artifact.bytes, ms);
}

async function pullOnce(registry: Registry, client: Client, ctx: Ctx, artifact: Artifact, ref: string): Promise<number> {
  const out = ctx.outDir(client.id);
  try {
    const { ms } = await ctx.time(client.pull(registry.host, ref, out, artifact));
    ctx.checkPulled(client, out, artifact);
    return mibps(artifact.bytes, ms);
  } finally {
    ctx.done(out);
  }
}

export const WORKLOADS: Workload[] = [
  {
    id: "push-big",
    title: "push 512 MiB artifact",
    unit: "MiB/s",
    higher: true,
    target: { over: "skopeo", ratio: 2 },
    ceiling: true,
    run: (r, c, ctx, round) => pushOnce(r, c, ctx, ctx.big, `${c.id}/big-${round}:v1`),
  },
  {
    id: "pull-big",
    title: "pull 512 MiB artifact",
    unit: "MiB/s",
    higher: true,
    target: { over: "skopeo", ratio: 2 },
    ceiling: true,
    run: (r, c, ctx) => pullOnce(r, c, ctx, ctx.big, "seed/big:v1"),
  },
  {
    id: "push-small",
    title: "push small artifacts (4 KiB), sequential",
    unit: "ops/s",
    higher: true,
    target: { over: "skopeo", ratio: 2 },
    floor: true,
    async run(r, c, ctx, round) {
      let ms = 0;
      for (const [i, artifact] of ctx.small.entries()) ms += (await ctx.time(c.push(r.host, `${c.id}/small-${round}:s${i}`, artifact))).ms;
      return ctx.small.length / (ms / 1000);
    },
  },
  {
    id: "pull-small",
    title: "pull small artifacts (4 KiB), sequential",
    unit: "ops/s",
    higher: true,
    target: { over: "skopeo", ratio: 2 },
    floor: true,
    async run(r, c, ctx) {
      let ms = 0;
      for (const [i, artifact] of ctx.small.entries()) {
        const out = ctx.outDir(c.id);
        try {
          ms += (await ctx.time(c.pull(r.host, `seed/small:s${i}`, out, artifact))).ms;
          ctx.checkPulled(c, out, artifact);
        } finally {
          ctx.done(out);
        }
      }
      return ctx.small.length / (ms / 1000);
    },
  },
  {
    id: "push-layers",
    title: "push 50-layer artifact (50 × 1 MiB)",
    unit: "MiB/s",
    higher: true,
    target: { over: "best", ratio: 1 },
    run: (r, c, ctx, round) => pushOnce(r, c, ctx, ctx.layers, `${c.id}/layers-${round}:v1`),
  },
  {
    id: "pull-layers",
    title: "pull 50-layer artifact (50 × 1 MiB)",
    unit: "MiB/s",
    higher: true,
    target: { over: "best", ratio: 1 },
    run: (r, c, ctx) => pullOnce(r, c, ctx, ctx.layers, "seed/layers:v1"),
  },
];

/** The idp command each peer is compared with: the one reading and writing the same form. */
export function idpFor(client: Client): ClientId {
  return client.form === "files" ? "idp" : "idp-layout";
}
