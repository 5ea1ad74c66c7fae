import type { ProviderKind } from "../registries/schema.ts";
import { acrProvider } from "./acr.ts";
import { dockerHubProvider } from "./dockerhub.ts";
import { ecrProvider } from "./ecr.ts";
import { genericProvider } from "./generic.ts";
import { ghcrProvider } from "./ghcr.ts";
import { giteaProvider } from "./gitea.ts";
import { harborProvider } from "./harbor.ts";
import type { RegistryProvider } from "./types.ts";

/** Every provider, in the order discovery asks them (generic last: it matches everything). */
export const PROVIDERS: readonly RegistryProvider[] = [dockerHubProvider, ghcrProvider, ecrProvider, acrProvider, harborProvider, giteaProvider, genericProvider];

/**
 * The provider of a kind.
 *
 * @example providerOf("harbor").title // "Harbor"
 */
export function providerOf(kind: ProviderKind): RegistryProvider {
  return PROVIDERS.find((p) => p.kind === kind)!;
}

/**
 * The provider a host name alone identifies (Docker Hub, GHCR, ECR, ACR); undefined when the
 * host could be anything (Harbor and Gitea run on their owners' domains).
 *
 * @example providerForHost("ghcr.io") // "ghcr"
 */
export function providerForHost(host: string): ProviderKind | undefined {
  return PROVIDERS.find((p) => p.recognizesHost(host.toLowerCase()))?.kind;
}
