import type { Subprocess } from "bun";
import { networkInterfaces } from "node:os";
import { idpBinary } from "../helpers/idp.ts";
import { freePort } from "../helpers/process.ts";

/** `idp serve` started as a user would, with its output collected. */
export interface Served {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/**
 * Spawns `dist/idp serve` with `args` (`{port}` in an argument becomes a free port) and waits
 * until it prints its banner, or fails with what it printed if it exits first.
 */
export async function serve(args: string[], options: { env?: Record<string, string> } = {}): Promise<Served> {
  const port = freePort();
  const proc = Bun.spawn([idpBinary(), "serve", ...args.map((a) => a.replaceAll("{port}", String(port)))], {
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  void pump(proc.stdout, (t) => (out += t));
  void pump(proc.stderr, (t) => (err += t));
  const deadline = Date.now() + 15_000;
  // The whole banner: its last line is gc's (warnings follow in the same write).
  while (!/\n {2}gc {7}.*\n|"event":"listening".*\n/.test(err + out)) {
    if (proc.exitCode !== null) throw new Error(`idp serve exited ${proc.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`idp serve did not start: ${err}`);
    await Bun.sleep(20);
  }
  return {
    proc,
    port,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}

/** Runs `idp serve` expecting it to refuse to start; returns its exit code and stderr. */
export async function refusedStart(args: string[]): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([idpBinary(), "serve", ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", timeout: 15_000 });
  const stderr = await new Response(proc.stderr).text();
  return { code: await proc.exited, stderr };
}

/** This machine's first non-loopback IPv4 address: how another host would reach it. */
export function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address; the test needs one to act as a remote client");
}
