import { IdpError, NotFoundError } from "../errors/index.ts";
import { loadRegistries, type RegistriesConfig } from "../registries/file.ts";
import { registryContext } from "../registries/context.ts";
import { requireRegistry, type ResolvedRegistry } from "../registries/resolve.ts";
import type { RemoteOptions } from "../remote/index.ts";
import { rankHits, searchRegistry, type SearchHit } from "./query.ts";
import { refreshIndex, type RefreshReport } from "./refresh.ts";

/** A registry that could not be searched or indexed; the others' results still count. */
export interface RegistryFailure {
  registry: string;
  message: string;
  error: unknown;
}

export interface AcrossOptions {
  /** Names or hosts; empty means every configured registry. */
  registries: string[];
  remote?: RemoteOptions;
  env?: Record<string, string | undefined>;
}

/**
 * Searches several registries at once (in parallel); one registry failing (down, refusing
 * the credentials) is reported beside the others' results rather than failing the search.
 *
 * @example const { hits } = await searchAcross("ingress", { registries: [] });
 */
export async function searchAcross(term: string, options: AcrossOptions & { useIndexOnly?: boolean }): Promise<{ hits: SearchHit[]; notes: string[]; failures: RegistryFailure[] }> {
  const env = options.env ?? process.env;
  const targets = selectRegistries(await loadRegistries(env), options.registries);
  const notes: string[] = [];
  const failures: RegistryFailure[] = [];
  const hits: SearchHit[] = [];
  await Promise.all(
    targets.map(async (registry) => {
      const label = registry.name ?? registry.host;
      try {
        const result = await searchRegistry(registryContext(registry, options.remote ?? {}, env), term, { useIndexOnly: options.useIndexOnly ?? false });
        if (result.refreshed) notes.push(`indexed ${label} first (${result.refreshed.repositories} repositories in ${result.refreshed.ms} ms)`);
        hits.push(...result.hits);
      } catch (error) {
        failures.push(failure(label, error));
      }
    }),
  );
  if (failures.length === targets.length && failures[0]) throw failures[0].error;
  return { hits: rankHits(hits), notes, failures };
}

/**
 * Refreshes the local index of several registries (every configured one by default).
 *
 * @example const { reports } = await refreshAcross([], {});
 */
export async function refreshAcross(registries: string[], options: Omit<AcrossOptions, "registries"> & { full?: boolean }): Promise<{ reports: RefreshReport[]; failures: RegistryFailure[] }> {
  const env = options.env ?? process.env;
  const targets = selectRegistries(await loadRegistries(env), registries);
  const reports: RefreshReport[] = [];
  const failures: RegistryFailure[] = [];
  for (const registry of targets) {
    try {
      reports.push(await refreshIndex(registryContext(registry, options.remote ?? {}, env), { full: options.full ?? false }));
    } catch (error) {
      failures.push(failure(registry.name ?? registry.host, error));
    }
  }
  return { reports, failures };
}

function selectRegistries(config: RegistriesConfig, names: string[]): ResolvedRegistry[] {
  if (names.length) return names.map((name) => requireRegistry(config, name));
  if (config.entries.size === 0) {
    throw new NotFoundError("no registries are configured to search", { hint: "add one with `idp registry add NAME URL`, or pass --registry HOST" });
  }
  return [...config.entries.keys()].sort().map((name) => requireRegistry(config, name));
}

function failure(registry: string, error: unknown): RegistryFailure {
  const message = error instanceof IdpError ? error.message : `internal error: ${(error as Error)?.message ?? String(error)}`;
  return { registry, message, error };
}
