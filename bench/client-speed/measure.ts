import { createConnection, createServer, type Server } from "node:net";
import { loadavg } from "node:os";

export const MiB = 1024 * 1024;

/** How one command is run: its argv, and where and with what environment. */
export interface Invocation {
  cmd: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** Runs a command to completion; throws with the end of its output when it fails. */
export async function run(inv: Invocation, timeoutMs = 300_000): Promise<{ ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const proc = Bun.spawn(inv.cmd, {
    cwd: inv.cwd,
    env: inv.env ?? (process.env as Record<string, string>),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${inv.cmd.join(" ")} exited ${code}\n${stderr.slice(-1500)}${stdout.slice(-500)}`);
  return { ms, stdout, stderr };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function loadAverage(): string {
  return loadavg().map((n) => n.toFixed(2)).join(" ");
}

/**
 * Start-up time of a command: `runs` timed spawns after 3 untimed ones, each waited for
 * synchronously, so the number is process creation, loading and exit, nothing else.
 */
export function startupMs(cmd: string[], runs: number): { median: number; min: number } {
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    const result = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
    const ms = performance.now() - t0;
    if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${result.exitCode}`);
    if (i >= 3) times.push(ms);
  }
  return { median: median(times), min: Math.min(...times) };
}

/**
 * A TCP forwarder on 127.0.0.1 that counts the bytes clients send through it: how the
 * benchmark sees what each tool uploads, whatever the tool says about itself.
 *
 * @example const proxy = await countingProxy(5000); …; proxy.up; await proxy.stop();
 */
export async function countingProxy(targetPort: number): Promise<{ port: number; readonly up: number; reset(): void; stop(): Promise<void> }> {
  let up = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    client.on("data", (chunk: Buffer) => {
      up += chunk.byteLength;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    get up() {
      return up;
    },
    reset() {
      up = 0;
    },
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}
