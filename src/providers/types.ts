import type { Credential, CredentialSource } from "../remote/auth/credentials.ts";
import type { RemoteOptions, RemoteRegistry } from "../remote/index.ts";
import type { ProviderKind } from "../registries/schema.ts";
import type { ResolvedRegistry } from "../registries/resolve.ts";
import type { ApiClient } from "./api.ts";

/**
 * What idp knows about one kind of registry service: how it authenticates beyond the Docker
 * token flow every registry speaks, how its repositories are listed and searched, and which
 * fallbacks apply. Everything that moves content goes through src/remote unchanged; a
 * provider only adds what the OCI API cannot say.
 */
export interface RegistryProvider {
  readonly kind: ProviderKind;
  readonly title: string;
  /** What the service documents about itself; `idp registry test` probes the real answers. */
  readonly documented: DocumentedCapabilities;
  /** True for hosts only this service uses (`ghcr.io`, `*.azurecr.io`, …). */
  recognizesHost(host: string): boolean;
  /** True when an anonymous `GET /v2/` answer looks like this service (see discover.ts). */
  recognizesAnswer?(evidence: ProbeEvidence): boolean;
  /** A well-known endpoint that only this service answers, checked when headers do not decide. */
  readonly wellKnown?: { path: string; matches(body: unknown): boolean };
  /** Namespace of one-component names when the configuration gives none (Docker Hub: `library`). */
  readonly defaultNamespace?: string;
  /** Credentials the service mints itself (ECR from IAM, ACR by token exchange), tried first. */
  credentialSource?(ctx: ProviderContext): CredentialSource | undefined;
  /** Repository names, with what the service knows about them. */
  listRepositories(ctx: ProviderContext, signal?: AbortSignal): AsyncIterable<RepositoryListing>;
  /** Server-side search, where the service has one; otherwise idp's local index answers. */
  search?(ctx: ProviderContext, term: string, signal?: AbortSignal): Promise<RepositoryListing[]>;
  /** Runs before a push to `repository` (ECR creates it when the configuration allows). */
  prepareRepository?(ctx: ProviderContext, repository: string): Promise<void>;
  /**
   * Whether `idp registry test` pushes its scratch blob without `--write`: not where a push
   * creates something the registry API cannot delete (a public Docker Hub repository, a GHCR
   * package).
   */
  readonly writeProbesByDefault: boolean;
}

/** The documented answers, shown in `idp registry show` and docs/registries.md. */
export interface DocumentedCapabilities {
  /** OCI 1.1 referrers API; "varies" means by version or deployment (idp probes and falls back). */
  referrersApi: "yes" | "no" | "varies";
  /** How repositories are listed. */
  listing: string;
  /** How `idp search` finds things there. */
  search: string;
  /** How idp authenticates there, beyond `idp login`. */
  auth: string;
  /** Whether a push creates a missing repository. */
  createsRepositoryOnPush: boolean;
  /** Fallbacks and quirks idp applies. */
  notes: string;
}

/** A repository as a listing or search API describes it. */
export interface RepositoryListing {
  /** Repository path on the registry (`team/app`), lower-case. */
  name: string;
  description?: string;
  /** ISO time of the last push, when the service says. */
  updated?: string;
  pulls?: number;
  stars?: number;
  /** Latest version the service reports (Gitea lists versions). */
  latest?: string;
}

/** What an anonymous `GET /v2/` showed, for discovery. */
export interface ProbeEvidence {
  status: number;
  headers: Headers;
  /** The Bearer or Basic challenge, lower-cased parameter names. */
  challenge: { scheme: string; realm?: string; service?: string } | undefined;
}

/** Everything a provider may use: the resolved registry, its clients and credentials. */
export interface ProviderContext {
  registry: ResolvedRegistry;
  env: Record<string, string | undefined>;
  /** Options that reach src/remote for this registry (TLS, credentials, retries). */
  remote: RemoteOptions;
  /** The user's credential for this registry (configured source, `idp login`, Docker config). */
  credential(): Promise<Credential | undefined>;
  /** Which source that credential came from, in words safe to print; undefined when none. */
  credentialSource(): Promise<string | undefined>;
  /** The registry's v2 API, authenticated. */
  openRegistry(): Promise<RemoteRegistry>;
  /** A JSON client for a provider API at `base`, with this registry's TLS settings. */
  api(base: string, authorization?: () => Promise<string | undefined>): Promise<ApiClient>;
}
