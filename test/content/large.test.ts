import { expect, test } from "bun:test";
import { join } from "node:path";
import { run } from "../helpers/process.ts";

/** Allowed growth of the resident set over the baseline while 512 MiB streams through. */
const RSS_BUDGET = 100 * 1024 * 1024;

test("512 MiB through the layout store, copy and the tar store keeps RSS flat", async () => {
  const { stdout } = await run([process.execPath, join(import.meta.dir, "large-scenario.ts")], { timeoutMs: 120_000 });
  const result = JSON.parse(stdout.trim().split("\n").pop()!) as { growth: number; baseline: number; push: number; copy: number; fetch: number; tar: number };
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(`512 MiB: push ${result.push} MiB/s, copy layout→layout ${result.copy} MiB/s, fetch+verify ${result.fetch} MiB/s, tar fetch+verify ${result.tar} MiB/s; peak RSS growth ${mib(result.growth)} MiB (baseline ${mib(result.baseline)} MiB)`);
  expect(result.growth).toBeLessThan(RSS_BUDGET);
}, 120_000);
