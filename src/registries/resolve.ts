import { InvalidReferenceError, NotFoundError } from "../errors/index.ts";
import { providerForHost } from "../providers/catalog.ts";
import type { RegistriesConfig } from "./file.ts";
import type { RegistryEntry } from "./schema.ts";
import { parseRegistryUrl, type ProviderKind, type RegistryUrl } from "./url.ts";

/** A registry as commands use it: from the configuration, or a host typed on the spot. */
export interface ResolvedRegistry {
  /** The configured name; undefined for a host no entry describes. */
  name: string | undefined;
  /** `host[:port]`: the first part of references and the key of credentials. */
  host: string;
  url: RegistryUrl;
  /** The configuration entry, when there is one. */
  entry: RegistryEntry | undefined;
  provider: ProviderKind;
  /** How the provider was chosen: set in the configuration, known from the host, or the generic default. */
  providerFrom: "config" | "host" | "default";
  namespace: string | undefined;
}

/**
 * The registry a name or host denotes: a configured name, a host some entry's URL has (so a
 * reference spelled with the host still gets that entry's TLS and credentials), or an ad-hoc
 * host with the provider its name implies.
 *
 * @example resolveRegistry(config, "corp")?.host // "harbor.example.com"
 */
export function resolveRegistry(config: RegistriesConfig, nameOrHost: string): ResolvedRegistry | undefined {
  const named = config.entries.get(nameOrHost);
  if (named) return fromEntry(named.name, named.entry);
  const url = parseRegistryUrl(nameOrHost);
  // A bare word is a registry name (mistyped, or not configured), never a host: hosts have a
  // dot or a port, or are localhost, as Docker decides for references.
  if (!url || (!/[.:]/.test(url.host) && url.host !== "localhost")) return undefined;
  for (const { name, entry } of config.entries.values()) {
    if (parseRegistryUrl(entry.url)?.host === url.host) return fromEntry(name, entry);
  }
  const kind = providerForHost(url.host);
  return { name: undefined, host: url.host, url, entry: undefined, provider: kind ?? "generic", providerFrom: kind ? "host" : "default", namespace: undefined };
}

/**
 * Like resolveRegistry, failing with NotFoundError naming the configured registries.
 *
 * @example requireRegistry(config, "corp")
 */
export function requireRegistry(config: RegistriesConfig, nameOrHost: string): ResolvedRegistry {
  const found = resolveRegistry(config, nameOrHost);
  if (found) return found;
  throw notConfigured(config, nameOrHost);
}

/**
 * The error for a name that is not a configured registry, listing those that are.
 *
 * @example throw notConfigured(config, "corp");
 */
export function notConfigured(config: RegistriesConfig, name: string): NotFoundError {
  const names = [...config.entries.keys()].sort();
  return new NotFoundError(`no registry named ${JSON.stringify(name.slice(0, 80))}`, {
    hint: names.length ? `configured: ${names.join(", ")}` : "add one with `idp registry add NAME URL`",
  });
}

function fromEntry(name: string, entry: RegistryEntry): ResolvedRegistry {
  const url = parseRegistryUrl(entry.url);
  if (!url) throw new InvalidReferenceError(`registry ${name} has an invalid url`);
  const hostKind = providerForHost(url.host);
  const provider = entry.provider ?? hostKind ?? "generic";
  const providerFrom = entry.provider ? "config" : hostKind ? "host" : "default";
  return { name, host: url.host, url, entry, provider, providerFrom, namespace: entry.namespace };
}

/** A reference after named-registry expansion, with the registry it names (if any). */
export interface ExpandedReference {
  /** What the OCI reference parser should see: `host/path[:tag][@digest]`. */
  text: string;
  registry: ResolvedRegistry | undefined;
}

/**
 * Rewrites a reference that names a configured registry into the plain OCI form:
 *
 * - `NAME/path[:tag][@digest]`, where NAME is a configured registry, becomes
 *   `<host>/path…`; a one-component path gets the registry's namespace first
 *   (`corp/app:v1` → `harbor.example.com/platform/app:v1`), as Docker Hub puts `library/`
 *   before official images.
 * - A reference without a registry (`team/app:v1`, `app`) goes to the default registry
 *   when one is set (the same namespace rule applies); without a default it stays Docker
 *   Hub's, as in Docker.
 * - A first component with a `.` or `:`, or `localhost`, is a host and is kept as typed
 *   (registry names can have neither, so `docker.io/corp/app` always means Docker Hub).
 * - `oci-layout:` references pass through.
 *
 * @example expandReference("corp/app:v1", config).text // "harbor.example.com/platform/app:v1"
 */
export function expandReference(input: string, config: RegistriesConfig): ExpandedReference {
  if (input.startsWith("oci-layout:")) return { text: input, registry: undefined };
  const { path, suffix } = splitSuffix(input);
  const slash = path.indexOf("/");
  const first = slash === -1 ? path : path.slice(0, slash);
  const isHost = slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
  if (isHost) return { text: input, registry: resolveRegistry(config, first) };
  if (slash !== -1 && config.entries.has(first)) {
    const registry = resolveRegistry(config, first)!;
    return { text: `${registry.host}/${withNamespace(path.slice(slash + 1), registry)}${suffix}`, registry };
  }
  if (config.default !== undefined && path !== "") {
    const registry = resolveRegistry(config, config.default)!;
    return { text: `${registry.host}/${withNamespace(path, registry)}${suffix}`, registry };
  }
  return { text: input, registry: undefined };
}

/** Prefixes one-component paths with the registry's namespace (or its provider's default). */
function withNamespace(path: string, registry: ResolvedRegistry): string {
  if (path.includes("/")) return path;
  const namespace = registry.namespace ?? (registry.provider === "dockerhub" ? "library" : undefined);
  return namespace ? `${namespace}/${path}` : path;
}

/** `a/b:tag@sha256:…` → path `a/b`, suffix `:tag@sha256:…` (the tag is looked for after the last `/`). */
function splitSuffix(input: string): { path: string; suffix: string } {
  const at = input.indexOf("@");
  const beforeDigest = at === -1 ? input : input.slice(0, at);
  const colon = beforeDigest.indexOf(":", beforeDigest.lastIndexOf("/") + 1);
  const cut = colon === -1 ? beforeDigest.length : colon;
  return { path: input.slice(0, cut), suffix: input.slice(cut) };
}
