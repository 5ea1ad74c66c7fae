import type { Subprocess } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegistryUnderTest } from "./idp.ts";
import { tempDir } from "./idp.ts";
import { peer } from "./peers.ts";
import { freePort, waitForHttp } from "./process.ts";

/**
 * CNCF Distribution 2.8 from Debian's docker-registry package, on 127.0.0.1 and a free port,
 * with deletes enabled: the reference the registry tests are checked against.
 */
export async function startDistribution(options: { extraConfig?: string } = {}): Promise<RegistryUnderTest & { proc: Subprocess }> {
  const dir = tempDir("distribution-");
  const port = freePort();
  const config = join(dir.path, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir.path, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      options.extraConfig ?? "",
    ].join("\n"),
  );
  const proc = Bun.spawn([peer("docker-registry"), "serve", config], { stdout: "ignore", stderr: "pipe" });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 15_000, proc);
  return {
    name: "distribution",
    url,
    host: `127.0.0.1:${port}`,
    root: join(dir.path, "data"),
    proc,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      dir.remove();
    },
  };
}
