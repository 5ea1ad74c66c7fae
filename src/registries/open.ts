import type { Deleter, Mounter, ReferrerLister, TagLister, Target } from "../content/types.ts";
import type { RegistryReference } from "../oci/reference.ts";
import { providerOf } from "../providers/catalog.ts";
import type { RemoteOptions, RemoteRegistry } from "../remote/index.ts";
import { registryContext } from "./context.ts";
import { loadRegistries, type RegistriesConfig } from "./file.ts";
import { MirroredTarget, type MirrorSource } from "./mirrors.ts";
import { requireRegistry, resolveRegistry } from "./resolve.ts";

export type ConfiguredTarget = Target & Partial<TagLister & ReferrerLister & Deleter & Mounter>;

export interface OpenConfiguredOptions {
  /** The repository is a destination: run the provider's preparation (ECR creates it when allowed); mirrors are not used. */
  create?: boolean;
  /** The configured name the reference was written with: its entry applies even if another shares the host. */
  registry?: string;
  /** Already loaded configuration (default: read registries.yaml). */
  config?: RegistriesConfig;
  env?: Record<string, string | undefined>;
}

/**
 * Opens a registry repository with everything registries.yaml says about its host: TLS,
 * credentials (configured source, provider's own, then the default chain), the provider's
 * preparation before a push, and mirrors for reads. A host no entry describes is opened with
 * the flags alone, as before, plus what its provider implies (ECR's IAM credentials).
 *
 * @example const repo = await openConfiguredRepository(parseRegistryReference("harbor.example.com/team/app"), {});
 */
export async function openConfiguredRepository(ref: RegistryReference, flags: RemoteOptions, options: OpenConfiguredOptions = {}): Promise<ConfiguredTarget> {
  const env = options.env ?? flags.env ?? process.env;
  const config = options.config ?? (await loadRegistries(env));
  const named = options.registry !== undefined ? resolveRegistry(config, options.registry) : undefined;
  const registry = named?.host === ref.registry ? named : resolveRegistry(config, ref.registry)!;
  const ctx = registryContext(registry, flags, env);
  const origin = (await ctx.openRegistry()).repository(ref.repository);
  if (options.create) {
    await providerOf(registry.provider).prepareRepository?.(ctx, ref.repository);
    return origin;
  }
  const mirrors = registry.entry?.mirrors ?? [];
  if (mirrors.length === 0) return origin;
  const sources: MirrorSource[] = [];
  for (const mirror of mirrors) {
    const resolved = resolveRegistry(config, mirror);
    if (!resolved || resolved.host === registry.host) continue;
    const mirrorCtx = registryContext(resolved, { ...flags, insecure: undefined, plainHttp: undefined, caFile: undefined }, env);
    sources.push({ label: resolved.name ?? resolved.host, target: (await mirrorCtx.openRegistry()).repository(ref.repository) });
  }
  return sources.length ? new MirroredTarget(origin, sources) : origin;
}

/**
 * Opens a registry by configured name or by host (`https://` allowed), with its entry's TLS
 * and credentials applied.
 *
 * @example for await (const name of (await openConfiguredRegistry("local", {})).catalog()) …
 */
export async function openConfiguredRegistry(nameOrHost: string, flags: RemoteOptions, options: Omit<OpenConfiguredOptions, "create"> = {}): Promise<RemoteRegistry> {
  const env = options.env ?? flags.env ?? process.env;
  const config = options.config ?? (await loadRegistries(env));
  return registryContext(requireRegistry(config, nameOrHost), flags, env).openRegistry();
}
