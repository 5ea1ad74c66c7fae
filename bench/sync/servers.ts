import type { Subprocess } from "bun";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IDP_BIN } from "../../test/helpers/idp.ts";
import { peer } from "../../test/helpers/peers.ts";
import { freePort, waitForHttp } from "../../test/helpers/process.ts";

/**
 * Registries for the sync benchmark, each logging one line per request to a file: the
 * requests a tool sends are counted on the server side, the same way for idp and skopeo.
 */
export interface CountedServer {
  name: string;
  host: string;
  url: string;
  pid: number;
  /** Requests logged so far (waits for the log to settle first). */
  requests(): Promise<number>;
  stop(): Promise<void>;
}

async function settled(count: () => number): Promise<number> {
  let last = -1;
  let now = count();
  while (now !== last) {
    await Bun.sleep(150);
    last = now;
    now = count();
  }
  return now;
}

function counted(name: string, proc: Subprocess, port: number, log: string, line: RegExp): CountedServer {
  const count = () => readFileSync(log, "utf8").split("\n").filter((l) => line.test(l)).length;
  return {
    name,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    requests: () => settled(count),
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** `idp serve` with its access log (JSON lines on stderr) in `dir/idp.log`. */
export async function startCountedIdp(dir: string): Promise<CountedServer> {
  mkdirSync(dir, { recursive: true });
  const port = freePort();
  const log = join(dir, "idp.log");
  const config = join(dir, "idp.yaml");
  writeFileSync(config, "log:\n  access: true\n  format: json\n");
  const proc = Bun.spawn([IDP_BIN, "serve", "--listen", `127.0.0.1:${port}`, "--root", join(dir, "data"), "--config", config], { stdout: "ignore", stderr: Bun.file(log) });
  await waitForHttp(`http://127.0.0.1:${port}/v2/`, 15_000, proc);
  return counted("idp", proc, port, log, /"msg":"request"/);
}

/** CNCF Distribution 2.8 with its access log (combined format on stdout) in `dir/access.log`. */
export async function startCountedDistribution(dir: string): Promise<CountedServer> {
  mkdirSync(join(dir, "data"), { recursive: true });
  const port = freePort();
  const log = join(dir, "access.log");
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    ["version: 0.1", "log:", "  level: error", "storage:", "  filesystem:", `    rootdirectory: ${join(dir, "data")}`, "  delete:", "    enabled: true", "http:", `  addr: 127.0.0.1:${port}`, ""].join("\n"),
  );
  const proc = Bun.spawn([peer("docker-registry"), "serve", config], { stdout: Bun.file(log), stderr: "ignore" });
  await waitForHttp(`http://127.0.0.1:${port}/v2/`, 15_000, proc);
  return counted("distribution", proc, port, log, /"(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\//);
}
