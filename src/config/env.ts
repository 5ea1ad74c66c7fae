import { join } from "node:path";
import { idpHome } from "./home.ts";

/**
 * The environment variables of idp's OCI client, in one table: docs/registries.md shows the
 * same rows, and a test keeps the two in step. Each has an `IDPBUILDER_OCI_*` spelling too,
 * so scripts written for the seed project keep working; the `IDP_` spelling wins when both
 * are set.
 */
export interface EnvVariable {
  name: string;
  /** The seed project's spelling, accepted as well. */
  legacy: string;
  /** The default, as documented. */
  default: string;
  description: string;
}

export const OCI_ENV = [
  {
    name: "IDP_OCI_CACHE_DIR",
    legacy: "IDPBUILDER_OCI_CACHE_DIR",
    default: "$IDP_HOME/oci-cache (~/.idp/oci-cache)",
    description: "Directory of the local content-addressed cache every pull goes through",
  },
  {
    name: "IDP_OCI_CACHE_MAX_SIZE",
    legacy: "IDPBUILDER_OCI_CACHE_MAX_SIZE",
    default: "cache.maxSize in registries.yaml, else unbounded",
    description: "Size the cache is trimmed to (least recently used first) after a pull that added to it, e.g. 10GiB",
  },
  {
    name: "IDP_OCI_TIMEOUT",
    legacy: "IDPBUILDER_OCI_TIMEOUT",
    default: "300",
    description: "Seconds a registry request may stay idle (no response, no bytes moving) before it is retried or fails",
  },
  {
    name: "IDP_OCI_RETRY_COUNT",
    legacy: "IDPBUILDER_OCI_RETRY_COUNT",
    default: "3",
    description: "Retries after the first attempt on connection errors, 408, 429 and 5xx",
  },
] as const satisfies readonly EnvVariable[];

export type OciEnvName = (typeof OCI_ENV)[number]["name"];

/** A variable's value and the spelling it was found under (for messages). */
export interface EnvValue {
  name: string;
  value: string;
}

/**
 * The value of one of the table's variables: the `IDP_` spelling, else the `IDPBUILDER_`
 * one; empty values count as unset.
 *
 * @example readOciEnv({ IDPBUILDER_OCI_TIMEOUT: "60" }, "IDP_OCI_TIMEOUT") // { name: "IDPBUILDER_OCI_TIMEOUT", value: "60" }
 */
export function readOciEnv(env: Record<string, string | undefined>, name: OciEnvName): EnvValue | undefined {
  const row = OCI_ENV.find((r) => r.name === name)!;
  for (const spelling of [row.name, row.legacy]) {
    const value = env[spelling];
    if (value !== undefined && value !== "") return { name: spelling, value };
  }
  return undefined;
}

/**
 * Where the local OCI cache lives: `IDP_OCI_CACHE_DIR` (or its legacy spelling), else
 * `$IDP_HOME/oci-cache`.
 *
 * @example ociCacheDir({ IDP_HOME: "/tmp/h" }) // "/tmp/h/oci-cache"
 */
export function ociCacheDir(env: Record<string, string | undefined> = process.env): string {
  return readOciEnv(env, "IDP_OCI_CACHE_DIR")?.value ?? join(idpHome(env), "oci-cache");
}
