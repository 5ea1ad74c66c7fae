import type { StreamFigures } from "./extras.ts";
import type { Workload } from "./workload.ts";

/** Medians of one workload on both registries. */
export interface Row {
  workload: Workload;
  idp: number;
  distribution: number;
  rounds: number[][];
}

export interface Extras {
  diskMBps: number;
  idpPushMBps: number | undefined;
  stream: Record<string, StreamFigures> | undefined;
  cpuPerGet: Record<string, number> | undefined;
}

function num(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/**
 * The report: each workload's medians, the idp/Distribution ratio and the issue's target for
 * it, then the disk rate, memory while streaming 1 GiB, and server CPU per request.
 *
 * @example for (const line of reportLines(rows, extras)) console.log(line);
 */
export function reportLines(rows: Row[], extras: Extras): string[] {
  const out = table(
    ["workload", "idp", "distribution", "unit", "ratio", "target", "met"],
    rows.map((r) => {
      const ratio = r.idp / r.distribution;
      return [r.workload.title, num(r.idp), num(r.distribution), r.workload.unit, `${ratio.toFixed(2)}x`, `>=${r.workload.target}x`, ratio >= r.workload.target ? "yes" : "NO"];
    }),
  );
  out.push("");
  out.push(`disk, fsync'd write (dd 512 MiB conv=fsync): ${num(extras.diskMBps)} MB/s`);
  if (extras.idpPushMBps !== undefined) {
    const share = extras.idpPushMBps / extras.diskMBps;
    out.push(`idp 512 MiB PUT at ${(share * 100).toFixed(0)}% of it (target >= 80%): ${share >= 0.8 ? "yes" : "NO"}`);
  }
  if (extras.stream) {
    out.push("");
    out.push(
      ...table(
        ["1 GiB streamed in and out", "idle RSS", "peak RSS in", "peak RSS out", "in MB/s", "out MB/s"],
        Object.entries(extras.stream).map(([name, s]) => [name, `${num(s.idleMiB)} MiB`, `${num(s.pushPeakMiB)} MiB`, `${num(s.pullPeakMiB)} MiB`, num(s.pushMBps), num(s.pullMBps)]),
      ),
    );
    const idp = extras.stream.idp;
    if (idp) out.push(`idp peak RSS < 150 MB (target): ${Math.max(idp.pushPeakMiB, idp.pullPeakMiB) * 1.048576 < 150 ? "yes" : "NO"}`);
  }
  if (extras.cpuPerGet) {
    out.push("");
    out.push(`server CPU per 1 MiB GET at 8 connections: ${Object.entries(extras.cpuPerGet).map(([n, us]) => `${n} ${num(us)} µs`).join(", ")}`);
  }
  return out;
}
