/**
 * Registry URLs and provider kinds: what reading a reference needs, kept apart from the
 * registries.yaml schemas (schema.ts), which load only when there is a file to check.
 */

/** Providers idp knows; `generic` is any OCI registry. */
export const PROVIDER_KINDS = ["generic", "dockerhub", "harbor", "gitea", "ghcr", "ecr", "acr"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** A registry URL split into what the client needs. */
export interface RegistryUrl {
  /** `host[:port]`, lower-cased: the key of credentials and the first part of references. */
  host: string;
  /** The scheme given: `http` asks for plain HTTP, `https` forbids it, none leaves it to the host. */
  scheme: "http" | "https" | undefined;
}

/**
 * Parses what users write for a registry: `https://host[:port][/v2[/]]`, `http://…` or bare
 * `host[:port]`. Undefined when it is something else (a path, a query, credentials).
 *
 * @example parseRegistryUrl("https://Harbor.example.com/v2/") // { host: "harbor.example.com", scheme: "https" }
 */
export function parseRegistryUrl(text: string): RegistryUrl | undefined {
  const match = /^(?:(https?):\/\/)?([^/?#@\s]+)(\/v2)?\/?$/i.exec(text.trim());
  if (!match) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${match[2]}`);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.host.length === 0) return undefined;
  return { host: url.host.toLowerCase(), scheme: match[1]?.toLowerCase() as "http" | "https" | undefined };
}
