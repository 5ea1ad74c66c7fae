import * as v from "valibot";
import { AlreadyExistsError, InvalidInputError, NetworkError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import { providerOf } from "../providers/catalog.ts";
import { discoverProvider, type Discovery } from "../providers/discover.ts";
import type { DocumentedCapabilities } from "../providers/types.ts";
import { describeCredentials } from "./credentials.ts";
import { changeRegistries } from "./edit.ts";
import { loadRegistries, type RegistriesConfig } from "./file.ts";
import { notConfigured, requireRegistry } from "./resolve.ts";
import { RegistryEntrySchema, RegistryNameSchema, parseRegistryUrl, type ProviderKind, type RegistryEntry } from "./schema.ts";

/** What `idp registry add` was told. */
export interface AddRegistryInput {
  name: string;
  url: string;
  provider?: ProviderKind;
  namespace?: string;
  description?: string;
  credentials?: RegistryEntry["credentials"];
  tls?: RegistryEntry["tls"];
  mirrors?: string[];
  options?: RegistryEntry["options"];
  makeDefault?: boolean;
  /** Ask the registry which provider it is when the URL does not say (default true). */
  probe?: boolean;
  /** Replace an entry of that name. */
  force?: boolean;
}

export interface AddRegistryResult {
  entry: RegistryEntry;
  /** How the provider was found, when it was not given. */
  discovery?: Discovery;
  /** Why the provider was left to be found later (the registry could not be reached). */
  warning?: string;
}

/**
 * Adds (or with `force` replaces) a named registry in `$IDP_HOME/registries.yaml`: the input
 * is checked with the file's own schema first, so a bad value is one error naming the field
 * and nothing is written; the provider is discovered when not given (from the host, else by
 * probing the registry anonymously).
 *
 * @example await addRegistry({ name: "local", url: "http://127.0.0.1:5000" })
 */
export async function addRegistry(input: AddRegistryInput, env: Record<string, string | undefined> = process.env): Promise<AddRegistryResult> {
  const name = v.safeParse(RegistryNameSchema, input.name);
  if (!name.success) throw new InvalidInputError(`registry name ${JSON.stringify(input.name.slice(0, 80))} ${describeIssue(name.issues)}`);
  const url = parseRegistryUrl(input.url);
  if (!url) throw new InvalidInputError(`${JSON.stringify(input.url.slice(0, 120))} is not a registry URL`, { hint: "give https://host[:port], http://host:port or host[:port]" });
  const config = await loadRegistries(env);
  const existing = config.entries.get(input.name);
  if (existing && !input.force) {
    throw new AlreadyExistsError(`a registry named ${input.name} exists (${existing.entry.url})`, { hint: "pass --force to replace it, or choose another name" });
  }
  const entry: RegistryEntry = compact({
    url: input.url.replace(/\/+$/, ""),
    provider: input.provider,
    namespace: input.namespace,
    description: input.description,
    credentials: input.credentials && Object.keys(input.credentials).length ? input.credentials : undefined,
    tls: input.tls && Object.values(input.tls).some((x) => x !== undefined) ? compact(input.tls) : undefined,
    mirrors: input.mirrors?.length ? input.mirrors : undefined,
    options: input.options && Object.values(input.options).some((x) => x !== undefined) ? compact(input.options) : undefined,
  });
  const checked = v.safeParse(RegistryEntrySchema, entry);
  if (!checked.success) throw new InvalidInputError(`registry ${input.name}: ${describeIssue(checked.issues)}`);
  const result: AddRegistryResult = { entry };
  if (!entry.provider) {
    try {
      const plainHttp = entry.tls?.plainHttp ?? (url.scheme === "http" ? true : url.scheme === "https" ? false : undefined);
      result.discovery = await discoverProvider(url.host, { probe: input.probe ?? true, env, ...(plainHttp !== undefined ? { plainHttp } : {}), ...(entry.tls?.insecure ? { insecure: true } : {}), ...(entry.tls?.caFile ? { caFile: entry.tls.caFile } : {}) });
      // Only a finding is recorded: "generic by default" stays open to later discovery.
      if (result.discovery.by !== "default") entry.provider = result.discovery.kind;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      result.warning = `could not reach ${url.host} to find its provider (${error.message}); it is decided from the host when used`;
    }
  }
  await changeRegistries({ kind: "set", name: input.name, entry, ...(input.makeDefault ? { makeDefault: true } : {}) }, env);
  return result;
}

/** A registry as `idp registry show` prints it: settings, where the secret comes from (never the secret), provider knowledge. */
export interface RegistryDescription {
  name: string;
  url: string;
  host: string;
  provider: ProviderKind;
  providerTitle: string;
  providerFrom: string;
  namespace: string | undefined;
  description: string | undefined;
  default: boolean;
  credentials: { username?: string; source: string };
  tls: RegistryEntry["tls"];
  mirrors: string[];
  options: RegistryEntry["options"];
  definedIn: string;
  documented: DocumentedCapabilities;
}

/**
 * What the configuration says about one registry, safe to print.
 *
 * @example describeRegistry(config, "corp").credentials.source // "environment variable CORP_TOKEN"
 */
export function describeRegistry(config: RegistriesConfig, name: string): RegistryDescription {
  const found = config.entries.get(name);
  if (!found) throw notConfigured(config, name);
  const resolved = requireRegistry(config, name);
  const provider = providerOf(resolved.provider);
  const entry = found.entry;
  return {
    name,
    url: entry.url,
    host: resolved.host,
    provider: provider.kind,
    providerTitle: provider.title,
    providerFrom: resolved.providerFrom,
    namespace: entry.namespace,
    description: entry.description,
    default: config.default === name,
    credentials: { ...(entry.credentials?.username ? { username: entry.credentials.username } : {}), source: describeCredentials(entry.credentials) ?? "idp login, Docker config or IDP_REGISTRY_* variables for the host" },
    tls: entry.tls,
    mirrors: entry.mirrors ?? [],
    options: entry.options,
    definedIn: found.source,
    documented: provider.documented,
  };
}

/** Objects without their undefined fields, so the YAML written has no `key: null` noise. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, x]) => x !== undefined)) as T;
}
