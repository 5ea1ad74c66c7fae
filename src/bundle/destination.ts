import { InvalidReferenceError } from "../errors/index.ts";
import { assertRepositoryName, isValidRepositoryName } from "../oci/names.ts";
import { parseRegistryReference } from "../oci/reference.ts";

/**
 * Where content goes: a registry and an optional path prefix (`registry.local:5000/mirror`).
 * Bundle import and sync place every repository the same way: the prefix, then the
 * repository's path at its source with the source host dropped, so
 * `ghcr.io/team/app` lands at `registry.local:5000/mirror/team/app`.
 */
export interface Destination {
  registry: string;
  /** "" or a repository path without leading or trailing `/`. */
  prefix: string;
}

/**
 * Parses `REGISTRY[/PREFIX]`.
 *
 * @example parseDestination("127.0.0.1:5000/mirror") // { registry: "127.0.0.1:5000", prefix: "mirror" }
 */
export function parseDestination(text: string): Destination {
  const trimmed = text.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const slash = trimmed.indexOf("/");
  const registry = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash === -1 ? "" : trimmed.slice(slash + 1);
  if (!/[.:]/.test(registry) && registry !== "localhost") {
    throw new InvalidReferenceError(`${JSON.stringify(text)} does not start with a registry host`, {
      hint: "write REGISTRY[/PREFIX], e.g. registry.local:5000 or registry.local:5000/mirror",
    });
  }
  // Reuse the reference grammar for the host (ports, IPv6); the prefix is checked as a path.
  parseRegistryReference(`${registry}/x`);
  if (prefix !== "" && !isValidRepositoryName(prefix)) assertRepositoryName(prefix);
  return { registry, prefix };
}

/**
 * The repository a source repository path lands in.
 *
 * @example destinationRepository({ registry: "r:5000", prefix: "mirror" }, "team/app") // "mirror/team/app"
 */
export function destinationRepository(dest: Destination, path: string): string {
  const name = dest.prefix === "" ? path : `${dest.prefix}/${path}`;
  assertRepositoryName(name);
  return name;
}

/**
 * `registry/prefix` as the user would write it.
 *
 * @example formatDestination({ registry: "r:5000", prefix: "mirror" }) // "r:5000/mirror"
 */
export function formatDestination(dest: Destination): string {
  return dest.prefix === "" ? dest.registry : `${dest.registry}/${dest.prefix}`;
}
