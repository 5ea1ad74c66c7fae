import type { Command } from "cac";
import { UsageError } from "./usage.ts";

/** Flags every command that talks to a registry takes. */
export interface RemoteFlags {
  insecure?: boolean;
  plainHttp?: boolean;
  caFile?: string;
  retries?: string | number;
  timeout?: string | number;
}

/** Flags of commands with machine output. */
export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

export function withRemoteFlags(command: Command): Command {
  return command
    .option("--insecure", "Skip TLS verification and allow plain HTTP to any host")
    .option("--plain-http", "Use plain HTTP (loopback hosts use it without this flag)")
    .option("--ca-file <file>", "Also trust the CA certificates in this PEM file")
    .option("--retries <n>", "Retries on connection errors, 429 and 5xx (default $IDP_OCI_RETRY_COUNT or 3)")
    .option("--timeout <seconds>", "Give up when nothing moves for this long (default $IDP_OCI_TIMEOUT or 300)");
}

export function withOutputFlags(command: Command, quiet = "Print only the digest"): Command {
  return command.option("--json", "Print the result as JSON").option("-q, --quiet", quiet);
}

/** RemoteOptions from the flags (imports the client only when called). */
export async function remoteOptions(flags: RemoteFlags) {
  const options: import("../remote/index.ts").RemoteOptions = {};
  if (flags.insecure) options.insecure = true;
  if (flags.plainHttp) options.plainHttp = true;
  if (flags.caFile) options.caFile = flags.caFile;
  if (flags.retries !== undefined) options.retries = count(flags.retries, "--retries");
  if (flags.timeout !== undefined) options.timeoutMs = count(flags.timeout, "--timeout") * 1000;
  return options;
}

function count(value: string | number, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(String(value))}`);
  return n;
}

/** cac gives a repeated flag as an array and a single one as a value. */
export function list(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Flags of commands that resolve package dependencies. */
export interface RegistryFlags extends RemoteFlags {
  registry?: string;
}

/**
 * The registry host-less dependency repositories (`team/pkg`) live in: `--registry` (a host
 * or a configured registry name), else $IDP_DEFAULT_REGISTRY, else the default registry of
 * registries.yaml, else the local `idp serve` at 127.0.0.1:5000.
 */
export async function defaultRegistry(flags: RegistryFlags, env: Record<string, string | undefined> = process.env): Promise<string> {
  const { registryHost } = await import("../registries/lookup.ts");
  const { loadRegistries } = await import("../registries/file.ts");
  const { resolveRegistry } = await import("../registries/resolve.ts");
  const given = flags.registry ?? env.IDP_DEFAULT_REGISTRY;
  if (given) return (await registryHost(given, env)).host;
  const config = await loadRegistries(env);
  const configured = config.default === undefined ? undefined : resolveRegistry(config, config.default);
  return configured?.host ?? "127.0.0.1:5000";
}

export function withRegistryFlag(command: Command): Command {
  return command.option("--registry <host>", "Registry (host or configured name) for dependencies written without one, e.g. platform/base (default $IDP_DEFAULT_REGISTRY, the default in registries.yaml, or 127.0.0.1:5000)");
}
