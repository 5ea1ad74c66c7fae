import type { CAC } from "cac";
import { list, withRemoteFlags, type RemoteFlags } from "../common.ts";

interface SearchFlags extends RemoteFlags {
  registry?: string | string[];
  index?: boolean;
  limit?: string | number;
  json?: boolean;
}

/** `idp search TERM` and `idp index refresh`: find packages across the configured registries. */
export function registerSearch(cli: CAC): void {
  withRemoteFlags(
    cli
      .command("search <term>", "Find packages by name, description and annotations across the configured registries")
      .option("-r, --registry <name>", "Search only this registry (repeatable; default: every configured one)")
      .option("--index", "Use idp's local index even where the provider has a search API")
      .option("--limit <n>", "Show at most this many results (default 50)")
      .option("--json", "Print the results as JSON")
      .example("idp search ingress")
      .example("idp search 'cert manager' --registry corp --json"),
  ).action(async (term: string, flags: SearchFlags) => {
    const { searchAcross } = await import("../../search/across.ts");
    const { remoteOptions } = await import("../common.ts");
    const { UsageError } = await import("../usage.ts");
    const { data, info, json, warn } = await import("../output.ts");
    const { table } = await import("../table.ts");
    const limit = flags.limit === undefined ? 50 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive whole number");
    const result = await searchAcross(term, { registries: list(flags.registry), remote: await remoteOptions(flags), useIndexOnly: flags.index ?? false });
    for (const note of result.notes) info(note);
    for (const failure of result.failures) warn(`${failure.registry}: ${failure.message}`);
    const hits = result.hits.slice(0, limit);
    if (flags.json) return json({ term, hits, failures: result.failures.map(({ registry, message }) => ({ registry, message })) });
    if (hits.length === 0) return info(`nothing matches ${JSON.stringify(term)}`);
    data(table([["NAME", "LATEST", "DESCRIPTION", "WHERE"], ...hits.map((h) => [h.name, h.latest ?? "-", clip(h.description ?? ""), h.repository])]));
  });

  withRemoteFlags(
    cli
      .command("index refresh [...registries]", "Update idp's local search index from catalogs, tag lists and package configs (incremental)")
      .option("--full", "Re-read every repository, not only those whose tags changed")
      .option("--json", "Print what was done as JSON")
      .example("idp index refresh")
      .example("idp index refresh corp --full"),
  ).action(async (registries: string[], flags: RemoteFlags & { full?: boolean; json?: boolean }) => {
    const { refreshAcross } = await import("../../search/across.ts");
    const { remoteOptions } = await import("../common.ts");
    const { data, json, warn } = await import("../output.ts");
    const { table } = await import("../table.ts");
    const { reports, failures } = await refreshAcross(registries, { remote: await remoteOptions(flags), full: flags.full ?? false });
    for (const failure of failures) warn(`${failure.registry}: ${failure.message}`);
    if (flags.json) return json({ reports, failures: failures.map(({ registry, message }) => ({ registry, message })) });
    data(table([["REGISTRY", "REPOSITORIES", "CHANGED", "UNCHANGED", "REMOVED", "REQUESTS", "TIME"], ...reports.map((r) => [r.registry, String(r.repositories), String(r.changed), String(r.unchanged), String(r.removed), String(r.requests.listings + r.requests.tagLists + r.requests.manifests + r.requests.configs), `${r.ms} ms`])]));
    if (failures.length && reports.length === 0) throw failures[0]!.error;
  });
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
