import { readFileSync } from "node:fs";

/**
 * Runs a command, returning stdout and stderr; throws with both when it fails.
 *
 * @example const { stdout } = await sh(["wrk", "-c8", url]);
 */
export async function sh(cmd: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { env: { ...process.env, ...options.env }, cwd: options.cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  return { stdout, stderr };
}

/**
 * Seconds `work` takes.
 *
 * @example const s = await seconds(() => pushBlob(url, "x", blob));
 */
export async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/**
 * The middle value (the mean of the two middle ones for an even count).
 *
 * @example median([3, 1, 2]) // 2
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Resident memory of a process, MiB.
 *
 * @example rssMiB(server.pid) // 64.2
 */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * CPU time (user + system) a process has used, seconds.
 *
 * @example const before = cpuSeconds(server.pid);
 */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Samples a process's RSS every 25 ms while `work` runs; returns the peak, MiB.
 *
 * @example const peak = await peakRss(server.pid, () => pullOneGiB());
 */
export async function peakRss(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 25);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssMiB(pid));
}

/**
 * The load average when measuring: a busy machine makes every number here smaller.
 *
 * @example say(`load average ${loadAverage()}`);
 */
export function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

export const MiB = 1024 * 1024;
