import type { Subprocess } from "bun";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IDP_BIN } from "../test/helpers/idp.ts";
import { peer } from "../test/helpers/peers.ts";
import { freePort, waitForHttp } from "../test/helpers/process.ts";

/** A registry under benchmark: one process, its storage on the same disk as the other's. */
export interface BenchServer {
  name: "idp" | "distribution";
  url: string;
  host: string;
  pid: number;
  stop(): Promise<void>;
}

async function started(name: BenchServer["name"], proc: Subprocess, port: number): Promise<BenchServer> {
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 15_000, proc);
  return {
    name,
    url,
    host: `127.0.0.1:${port}`,
    pid: proc.pid,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/**
 * `dist/idp serve` as a user runs it (fs storage, defaults), except the access log when
 * `logs` is off: both registries run with or without request logging alike.
 *
 * @example const idp = await startIdpServer(work, false); … await idp.stop();
 */
export async function startIdpServer(dir: string, logs: boolean): Promise<BenchServer> {
  const port = freePort();
  const config = join(dir, "idp.yaml");
  writeFileSync(config, `log:\n  access: ${logs}\n`);
  const proc = Bun.spawn([IDP_BIN, "serve", "--listen", `127.0.0.1:${port}`, "--root", join(dir, "idp"), "--config", config], {
    stdout: "ignore",
    stderr: "ignore",
  });
  return started("idp", proc, port);
}

/**
 * CNCF Distribution 2.8 (Debian's docker-registry) on the filesystem driver, deletes on.
 *
 * @example const dist = await startDistributionServer(work, false);
 */
export async function startDistributionServer(dir: string, logs: boolean): Promise<BenchServer> {
  const port = freePort();
  mkdirSync(join(dir, "distribution"), { recursive: true });
  const config = join(dir, "distribution.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      `  level: ${logs ? "info" : "error"}`,
      "  accesslog:",
      `    disabled: ${!logs}`,
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "distribution")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const proc = Bun.spawn([peer("docker-registry"), "serve", config], { stdout: "ignore", stderr: "ignore" });
  return started("distribution", proc, port);
}
