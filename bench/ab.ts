/**
 * Two builds of idp (or any two commands) against each other: runs them alternately, each
 * time with a fresh empty HOME and IDP_HOME (so a pull's cache starts empty, as in the client
 * bench), and prints the median and mean wall time of each and their ratio. Alternating
 * cancels the machine's drift, which here is larger than a millisecond over minutes: the way
 * to tell whether a change of 0.5 ms to a small command is real.
 *
 *   bun bench/ab.ts [--runs N] BIN_A BIN_B -- ARGS...
 *   bun bench/ab.ts --runs 41 /tmp/idp-before dist/idp -- pull 127.0.0.1:5000/team/small:v1 -o /tmp/out
 *
 * `{n}` in ARGS becomes the run number (a fresh repository per push: `team/p{n}:v1`). The
 * registry must be running; nothing is started here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const argv = process.argv.slice(2);
const split = argv.indexOf("--");
if (split < 0) {
  process.stderr.write("usage: bun bench/ab.ts [--runs N] BIN_A BIN_B -- ARGS...\n");
  process.exit(2);
}
const head = argv.slice(0, split);
const args = argv.slice(split + 1);
const runsAt = head.indexOf("--runs");
const runs = runsAt >= 0 ? Number(head.splice(runsAt, 2)[1]) : 31;
const [a, b] = head as [string, string];
if (!a || !b || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write("usage: bun bench/ab.ts [--runs N] BIN_A BIN_B -- ARGS...\n");
  process.exit(2);
}

const times: Record<"a" | "b", number[]> = { a: [], b: [] };
let n = 0;
for (let i = 0; i < runs; i++) {
  for (const [side, bin] of [["a", a], ["b", b]] as const) {
    const home = mkdtempSync(join(tmpdir(), "idp-ab-"));
    try {
      const cmd = [bin, ...args.map((x) => x.replaceAll("{n}", String(++n)))];
      const started = performance.now();
      const done = Bun.spawnSync(cmd, { env: { ...process.env, HOME: home, IDP_HOME: join(home, ".idp") }, stdout: "ignore", stderr: "pipe" });
      const ms = performance.now() - started;
      if (done.exitCode !== 0) {
        process.stderr.write(`${cmd.join(" ")} exited ${done.exitCode}: ${done.stderr.toString().trim().split("\n")[0]}\n`);
        process.exit(1);
      }
      times[side].push(ms);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
for (const [side, bin] of [["a", a], ["b", b]] as const) {
  process.stdout.write(`${side}  median ${median(times[side]).toFixed(2)} ms  mean ${mean(times[side]).toFixed(2)} ms  ${bin}\n`);
}
process.stdout.write(`b/a median ${(median(times.b) / median(times.a)).toFixed(3)} (${runs} runs each, alternating)\n`);
