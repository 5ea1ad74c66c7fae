import { makeArtifact, pool, pushArtifact, pushBlob, putManifest } from "./client.ts";
import { seconds, sh } from "./measure.ts";
import type { BenchServer } from "./servers.ts";
import type { BenchContext, Workload } from "./workload.ts";

const ARTIFACTS = 200;
const TAGS = 1000;
const LISTS = 100;

async function artifacts(server: BenchServer, round: number, concurrency: number): Promise<number> {
  // Built before the clock starts: only pushing is timed.
  const items = Array.from({ length: ARTIFACTS }, (_, i) => makeArtifact(`${server.name}-${round}-${concurrency}-${i}`));
  const s = await seconds(() => pool(ARTIFACTS, concurrency, (i) => pushArtifact(server.url, `small/c${concurrency}-r${round}-${i % 8}`, `v${i}`, items[i]!)));
  return ARTIFACTS / s;
}

/** The repository holding TAGS tags of one manifest (made once per server). */
async function tagged(server: BenchServer, repo: string): Promise<void> {
  const res = await fetch(`${server.url}/v2/${repo}/tags/list`);
  const body = res.ok ? ((await res.json()) as { tags?: string[] }) : {};
  if ((body.tags?.length ?? 0) >= TAGS) return;
  const artifact = makeArtifact(`${server.name}-tags`);
  await pushArtifact(server.url, repo, "base", artifact);
  for (let i = 0; i < TAGS; i++) await putManifest(server.url, repo, `t${String(i).padStart(4, "0")}`, artifact.manifest);
}

/** `wrk` GETs of the 1 MiB blob; returns requests per second (and notes server CPU per request). */
async function wrk(server: BenchServer, ctx: BenchContext, connections: number): Promise<number> {
  const head = await fetch(`${server.url}/v2/wrk/blob/blobs/${ctx.small.digest}`, { method: "HEAD" });
  if (head.status !== 200) await pushBlob(server.url, "wrk/blob", ctx.small);
  const threads = Math.min(connections, 2);
  const { stdout } = await sh(["wrk", `-t${threads}`, `-c${connections}`, `-d${ctx.wrkSeconds}s`, `${server.url}/v2/wrk/blob/blobs/${ctx.small.digest}`]);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!rate || /Non-2xx/.test(stdout)) throw new Error(`${server.name}: wrk failed:\n${stdout}`);
  return Number(rate[1]);
}

/**
 * Workloads of many small requests: artifacts, tags, 1 MiB GETs.
 *
 * @example for (const w of API_WORKLOADS) await w.run(server, ctx, 0);
 */
export const API_WORKLOADS: Workload[] = [
  {
    id: "artifacts-seq",
    title: `${ARTIFACTS} small artifacts, sequential`,
    unit: "artifacts/s",
    target: 1,
    run: (server, _ctx, round) => artifacts(server, round, 1),
  },
  {
    id: "artifacts-par",
    title: `${ARTIFACTS} small artifacts, 8 in parallel`,
    unit: "artifacts/s",
    target: 1,
    run: (server, _ctx, round) => artifacts(server, round, 8),
  },
  {
    id: "tags-put",
    title: `put ${TAGS} tags`,
    unit: "tags/s",
    target: 1,
    async run(server, _ctx, round) {
      const repo = `tags/put${round}`;
      const artifact = makeArtifact(`${server.name}-put-${round}`);
      await pushArtifact(server.url, repo, "base", artifact);
      const s = await seconds(async () => {
        for (let i = 0; i < TAGS; i++) await putManifest(server.url, repo, `t${String(i).padStart(4, "0")}`, artifact.manifest);
      });
      return TAGS / s;
    },
  },
  {
    id: "tags-list",
    title: `list ${TAGS} tags (whole list, ${LISTS}x)`,
    unit: "lists/s",
    target: 1,
    async run(server) {
      await tagged(server, "tags/list");
      const s = await seconds(async () => {
        for (let i = 0; i < LISTS; i++) {
          const body = (await (await fetch(`${server.url}/v2/tags/list/tags/list`)).json()) as { tags: string[] };
          if (body.tags.length !== TAGS + 1) throw new Error(`${server.name}: listed ${body.tags.length} tags`);
        }
      });
      return LISTS / s;
    },
  },
  {
    id: "get-1m-c1",
    title: "1 MiB blob GETs, 1 connection (wrk)",
    unit: "req/s",
    target: 1,
    run: (server, ctx) => wrk(server, ctx, 1),
  },
  {
    id: "get-1m-c8",
    title: "1 MiB blob GETs, 8 connections (wrk)",
    unit: "req/s",
    target: 3,
    run: (server, ctx) => wrk(server, ctx, 8),
  },
];
