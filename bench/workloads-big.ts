import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { peer } from "../test/helpers/peers.ts";
import { seconds, sh } from "./measure.ts";
import type { BenchServer } from "./servers.ts";
import type { BenchContext, Workload } from "./workload.ts";

/** MB/s (10^6 bytes per second), as dd and the disk are quoted. */
const mbps = (bytes: number, s: number) => bytes / 1e6 / s;

/** POSTs an upload session and returns its Location, absolute. */
async function startUpload(server: BenchServer, repo: string): Promise<URL> {
  const post = await fetch(`${server.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  if (post.status !== 202) throw new Error(`${server.name}: POST upload answered ${post.status}`);
  return new URL(post.headers.get("location")!, server.url);
}

/** Pushes the big file with one streamed, monolithic curl PUT; returns seconds. */
async function curlPush(server: BenchServer, ctx: BenchContext, repo: string): Promise<number> {
  const location = await startUpload(server, repo);
  location.searchParams.set("digest", ctx.big.digest);
  return seconds(async () => {
    const { stdout } = await sh(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Expect:", "-H", "Content-Type: application/octet-stream", "-T", ctx.big.path, location.toString()]);
    if (stdout !== "201") throw new Error(`${server.name}: 512 MiB PUT answered ${stdout}`);
  });
}

async function ensureBig(server: BenchServer, ctx: BenchContext, repo: string): Promise<void> {
  const head = await fetch(`${server.url}/v2/${repo}/blobs/${ctx.big.digest}`, { method: "HEAD" });
  if (head.status !== 200) await curlPush(server, ctx, repo);
}

/** skopeo with a fresh HOME: no blob-info cache, so nothing is skipped or mounted. */
async function skopeo(ctx: BenchContext, args: string[]): Promise<void> {
  const home = mkdtempSync(join(ctx.work, "home-"));
  try {
    await sh([peer("skopeo"), "copy", "--quiet", "--preserve-digests", ...args], { env: { HOME: home, XDG_DATA_HOME: join(home, "data") } });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Workloads of one large blob: curl and skopeo, both ways.
 *
 * @example for (const w of BIG_WORKLOADS) await w.run(server, ctx, 0);
 */
export const BIG_WORKLOADS: Workload[] = [
  {
    id: "push-512-curl",
    title: "push 512 MiB blob (curl)",
    unit: "MB/s",
    target: 1,
    async run(server, ctx, round) {
      return mbps(ctx.big.size, await curlPush(server, ctx, `curl/push${round}`));
    },
  },
  {
    id: "pull-512-curl",
    title: "pull 512 MiB blob (curl)",
    unit: "MB/s",
    target: 1,
    async run(server, ctx) {
      await ensureBig(server, ctx, "curl/pull");
      const url = `${server.url}/v2/curl/pull/blobs/${ctx.big.digest}`;
      const s = await seconds(() => sh(["curl", "-sS", "-f", "-o", "/dev/null", url]));
      return mbps(ctx.big.size, s);
    },
  },
  {
    id: "push-512-skopeo",
    title: "push 512 MiB image (skopeo)",
    unit: "MB/s",
    target: 1,
    async run(server, ctx, round) {
      const dest = `docker://${server.host}/skopeo/push${round}:v1`;
      const s = await seconds(() => skopeo(ctx, ["--dest-tls-verify=false", `oci:${ctx.layout}:v1`, dest]));
      // containers/image remembers where it pushed a blob (as root, outside HOME) and would
      // mount it from there next round instead of uploading: unlink it so it cannot.
      const unlinked = await fetch(`${server.url}/v2/skopeo/push${round}/blobs/${ctx.big.digest}`, { method: "DELETE" });
      if (unlinked.status !== 202) throw new Error(`${server.name}: blob DELETE answered ${unlinked.status}`);
      return mbps(ctx.big.size, s);
    },
  },
  {
    id: "pull-512-skopeo",
    title: "pull 512 MiB image (skopeo)",
    unit: "MB/s",
    target: 1,
    async run(server, ctx, round) {
      const src = `docker://${server.host}/skopeo/pull:v1`;
      const probe = await fetch(`${server.url}/v2/skopeo/pull/manifests/v1`, { method: "HEAD" });
      if (probe.status !== 200) await skopeo(ctx, ["--dest-tls-verify=false", `oci:${ctx.layout}:v1`, src]);
      // Into memory when the machine has /dev/shm: the client's own disk writes are not the subject.
      const out = join(existsSync("/dev/shm") ? "/dev/shm" : ctx.work, `idp-bench-skopeo-${process.pid}-${server.name}-${round}`);
      try {
        return mbps(ctx.big.size, await seconds(() => skopeo(ctx, ["--src-tls-verify=false", src, `dir:${out}`])));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  },
];
