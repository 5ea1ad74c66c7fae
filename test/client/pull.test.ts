import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OciCache } from "../../src/cache/index.ts";
import { pullArtifact } from "../../src/client/pull.ts";
import { pushFiles } from "../../src/client/push.ts";
import { DigestMismatchError } from "../../src/errors/index.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { anonymous, openRepository } from "../../src/remote/index.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { startFaultProxy, type FaultProxy } from "../remote/helpers/fault-proxy.ts";

const MiB = 1024 * 1024;
const work = tempDir("idp-pull-");
let server: IdpServer;
let proxy: FaultProxy;
beforeAll(async () => {
  server = await startIdp();
  proxy = startFaultProxy(server.url);
});
afterAll(async () => {
  proxy?.stop();
  await server?.stop();
  work.remove();
});

/**
 * `idp pull` moves layers side by side; through the fault-injecting stand-in proxy in front
 * of a real idp serve, one layer arriving damaged must stop the others at once (not after
 * a stalled one's timeout), and the pull must end only when nothing runs any more.
 */
describe("a pull whose layer fails", () => {
  test("stops the other layers, keeps no file, and returns only when they stopped", async () => {
    const files = { "small.txt": crypto.getRandomValues(new Uint8Array(64 * 1024)), "big.bin": crypto.getRandomValues(new Uint8Array(12 * MiB)) };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(work.path, name), bytes);
    const repo = await openRepository({ registry: proxy.host, repository: "pull/fails" }, { credentials: anonymous, retries: 0, timeoutMs: 30_000 });
    const pushed = await pushFiles(Object.keys(files).map((name) => ({ path: join(work.path, name), name })), {}, repo, ["v1"]);
    const [small, big] = pushed.layers;
    // The big layer stalls (for the whole 30 s idle timeout); the small one arrives damaged.
    proxy.rules = [
      { method: "GET", path: new RegExp(big!.digest), action: { kind: "stall-response", afterBytes: 1 * MiB } },
      { method: "GET", path: new RegExp(small!.digest), times: 5, action: { kind: "flip-response", afterBytes: 100 } },
    ];
    const out = join(work.path, "out");
    const cache = await OciCache.open(join(work.path, "cache"));
    const started = Date.now();
    const error = await pullArtifact(repo, parseReference(`${proxy.host}/pull/fails:v1`), out, { cache }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    expect(readdirSync(cache.root).filter((name) => name.startsWith(".idp-"))).toEqual([]);
  });
});
