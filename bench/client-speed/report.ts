import type { Client, ClientId } from "./clients.ts";
import { median } from "./measure.ts";
import type { Repush } from "./repush.ts";
import { idpFor, type Workload } from "./workloads.ts";

const PEERS: ClientId[] = ["skopeo", "oras", "crane"];

/** Measurements by workload, registry and client (one value per round). */
export type Results = Map<string, Map<string, Map<ClientId, number[]>>>;

export function record(results: Results, workload: string, registry: string, client: ClientId, value: number): void {
  const byRegistry = results.get(workload) ?? new Map<string, Map<ClientId, number[]>>();
  results.set(workload, byRegistry);
  const byClient = byRegistry.get(registry) ?? new Map<ClientId, number[]>();
  byRegistry.set(registry, byClient);
  byClient.set(client, [...(byClient.get(client) ?? []), value]);
}

function fmt(value: number | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (unit === "ops/s") return value.toFixed(1);
  if (unit === "s") return value.toFixed(2);
  return value.toFixed(0);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
}

/** idp's speed over a peer's (above 1: idp is faster), pairing each peer with its idp form. */
function ratio(w: Workload, values: Map<ClientId, number>, peer: Client): number | undefined {
  const idp = values.get(idpFor(peer));
  const other = values.get(peer.id);
  if (idp === undefined || other === undefined) return undefined;
  return w.higher ? idp / other : other / idp;
}

/** The main table: medians per registry and client, ratios, and whether the target is met. */
export function resultTable(workloads: Workload[], results: Results, clients: Client[]): string[] {
  const ids = clients.map((c) => c.id);
  const peers = clients.filter((c) => PEERS.includes(c.id));
  const header = ["workload", "registry", ...ids, ...peers.map((p) => `idp/${p.id}`), "target", "met"];
  const rows: string[][] = [];
  for (const w of workloads) {
    for (const [registry, byClient] of results.get(w.id) ?? []) {
      const values = new Map<ClientId, number>([...byClient].map(([id, v]) => [id, median(v)]));
      const ratios = new Map(peers.map((p) => [p.id, ratio(w, values, p)]));
      const judged = w.target.over === "skopeo" ? [ratios.get("skopeo")] : [...ratios.values()];
      const known = judged.filter((r): r is number => r !== undefined);
      const met = known.length === 0 ? "?" : Math.min(...known) >= w.target.ratio ? "yes" : "NO";
      rows.push([
        `${w.title} (${w.unit})`,
        registry,
        ...ids.map((id) => fmt(values.get(id), w.unit)),
        ...peers.map((p) => {
          const r = ratios.get(p.id);
          return r === undefined ? "–" : `${r.toFixed(2)}×`;
        }),
        w.target.over === "skopeo" ? `≥${w.target.ratio}× skopeo` : "≥ best peer",
        met,
      ]);
    }
  }
  return table(header, rows);
}

export function repushTable(repushes: { registry: string; client: ClientId; result: Repush }[]): string[] {
  const rows = repushes.map(({ registry, client, result }) => [
    registry,
    client,
    (result.seconds * 1000).toFixed(0),
    (result.wireBytes / 1024).toFixed(1),
    result.reportedBytes === undefined ? "–" : String(result.reportedBytes),
  ]);
  const lines = table(["registry", "client", "ms", "KiB sent (wire)", "bytes uploaded (idp --json)"], rows);
  const byRegistry = Map.groupBy(repushes, (r) => r.registry);
  for (const [registry, list] of byRegistry) {
    const time = new Map(list.map((r) => [r.client, r.result.seconds]));
    const ratios = PEERS.filter((p) => time.has(p)).map((p) => {
      const idp = time.get(p === "oras" ? "idp" : "idp-layout");
      return { p, r: idp === undefined ? undefined : time.get(p)! / idp };
    });
    const parts = ratios.map(({ p, r }) => (r === undefined ? `${p} –` : `idp/${p} ${r.toFixed(2)}×`));
    const known = ratios.map(({ r }) => r).filter((r): r is number => r !== undefined);
    const fastest = known.length > 0 && Math.min(...known) >= 1;
    const bytes = list.filter((r) => r.result.reportedBytes !== undefined).map((r) => `${r.client} ${r.result.reportedBytes}`);
    const zero = list.every((r) => r.result.reportedBytes === undefined || r.result.reportedBytes === 0);
    lines.push(`${registry}: speed ratios ${parts.join(", ")} (target ≥ best peer: ${fastest ? "met" : "NOT met"}); idp uploaded ${bytes.join(", ")} bytes (target 0: ${zero ? "met" : "NOT met"})`);
  }
  return lines;
}

export function startupTable(rows: { what: string; median: number; min: number }[]): string[] {
  return table(
    ["command", "median ms", "min ms"],
    rows.map((r) => [r.what, r.median.toFixed(1), r.min.toFixed(1)]),
  );
}
