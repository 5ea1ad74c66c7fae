import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, waitForHttp } from "./process.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const IDP_BIN = join(REPO_ROOT, "dist/idp");

/** A registry under test: where to reach it and how to stop it. */
export interface RegistryUnderTest {
  name: string;
  url: string;
  /** host:port, as used in references. */
  host: string;
  root: string;
  stop(): Promise<void>;
}

/** The compiled binary; tests run what users run. `npm test` builds it first. */
export function idpBinary(): string {
  if (!existsSync(IDP_BIN)) throw new Error(`${IDP_BIN} is missing; run \`npm run build\` (npm test does it for you)`);
  return IDP_BIN;
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = "idp-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  liveTempDirs.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      liveTempDirs.delete(path);
    },
  };
}

/** Temporary directories a test did not remove itself (removed by test/helpers/cleanup.ts). */
const liveTempDirs = new Set<string>();

/** Removes every temporary directory still there; bun test's preload calls it after each file. */
export function removeLeftoverTempDirs(): void {
  for (const path of liveTempDirs) rmSync(path, { recursive: true, force: true });
  liveTempDirs.clear();
}

export interface IdpServer extends RegistryUnderTest {
  proc: Subprocess;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
  stderr(): string;
}

/** Starts `dist/idp serve` on 127.0.0.1 and a free port, with its own storage root. */
export async function startIdp(options: { root?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<IdpServer> {
  const dir = options.root ? undefined : tempDir("idp-root-");
  const root = options.root ?? dir!.path;
  const port = freePort();
  const proc = Bun.spawn([idpBinary(), "serve", "--listen", `127.0.0.1:${port}`, "--root", root, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += new TextDecoder().decode(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 15_000, proc);
  return {
    name: "idp",
    url,
    host: `127.0.0.1:${port}`,
    root,
    proc,
    stderr: () => err,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      dir?.remove();
    },
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
