import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startIdp, type IdpServer } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";

let server: IdpServer;
beforeAll(async () => {
  server = await startIdp();
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Pushing and pulling a 1 GiB blob streams: the client process (a separate one, so the test
 * runner's heap does not count) stays under 150 MB RSS, read from /proc/self/status.
 */
test("a 1 GiB push and pull keep the client's RSS under 150 MB", async () => {
  const script = join(import.meta.dir, "helpers/big-transfer.ts");
  const { stdout } = await run([process.execPath, script, server.host, "1024"], { timeoutMs: 300_000 });
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { received: number; pushPeakMB: number; pullPeakMB: number; pushMiBs: number; pullMiBs: number };
  console.log(`1 GiB: push ${result.pushMiBs} MiB/s, peak ${result.pushPeakMB} MB; pull ${result.pullMiBs} MiB/s, peak ${result.pullPeakMB} MB`);
  expect(result.received).toBe(1024 * 1024 * 1024);
  expect(result.pushPeakMB).toBeLessThan(150);
  expect(result.pullPeakMB).toBeLessThan(150);
}, 300_000);
