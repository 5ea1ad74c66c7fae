import { UnsupportedError } from "../errors/index.ts";
import { assertRepositoryName, isValidRepositoryName } from "../oci/names.ts";
import { CATALOG_SCOPE } from "./auth/scope.ts";
import { CatalogSchema, pages } from "./listing.ts";
import { createClient, type RemoteOptions } from "./options.ts";
import { RemoteRepository } from "./repository.ts";
import type { RegistryClient } from "./transport/client.ts";

/** What `GET /v2/` told us. */
export interface PingResult {
  /** `Docker-Distribution-API-Version`, when sent. */
  apiVersion: string | undefined;
  /** Whether the answer came after authenticating (a 401 was answered with credentials). */
  authenticated: boolean;
}

/**
 * A registry host: ping, the catalog, and its repositories (sharing one client, so one auth
 * state and one connection pool).
 *
 * @example
 * const registry = await openRegistry("127.0.0.1:5000");
 * for await (const name of registry.catalog()) console.log(name);
 */
export class RemoteRegistry {
  readonly client: RegistryClient;
  constructor(client: RegistryClient) {
    this.client = client;
  }

  get host(): string {
    return this.client.endpoint.host;
  }

  /**
   * `GET /v2/`, authenticating when the registry asks. AuthError when it still answers 401
   * (the credentials are wrong or missing), UnsupportedError when it is no v2 registry.
   */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    const res = await this.client.request({ method: "GET", url: "/v2/", scopes: [], ...(signal ? { signal } : {}) });
    await res.body?.cancel().catch(() => {});
    if (res.status === 200) {
      return {
        apiVersion: res.headers.get("docker-distribution-api-version") ?? undefined,
        authenticated: (await this.client.authorizer.authorization([])) !== undefined,
      };
    }
    if (res.status === 404) {
      throw new UnsupportedError(`${this.host} does not serve the registry API at /v2/`, { hint: "check the host and port" });
    }
    throw await this.client.error(res, "GET", "/v2/");
  }

  /** Repository names, page by page (`n`, `last`, `Link`). Many registries restrict this. */
  async *catalog(options: { last?: string; pageSize?: number; signal?: AbortSignal } = {}): AsyncIterable<string> {
    const first = this.client.url("/v2/_catalog");
    if (options.pageSize !== undefined) first.searchParams.set("n", String(options.pageSize));
    if (options.last !== undefined) first.searchParams.set("last", options.last);
    for await (const page of pages({ client: this.client, first, scopes: [CATALOG_SCOPE], schema: CatalogSchema, what: `catalog of ${this.host}`, ...(options.signal ? { signal: options.signal } : {}) })) {
      for (const name of page.repositories ?? []) if (isValidRepositoryName(name)) yield name;
    }
  }

  repository(name: string): RemoteRepository {
    assertRepositoryName(name);
    return new RemoteRepository({ client: this.client, repository: name });
  }
}

/**
 * Opens a registry host. `options` carry credentials, TLS (`insecure`, `caFile`, `plainHttp`),
 * retries, timeout, user agent and an abort signal; see RemoteOptions.
 *
 * @example const registry = await openRegistry("ghcr.io", { retries: 5 });
 */
export async function openRegistry(registry: string, options: RemoteOptions = {}): Promise<RemoteRegistry> {
  return new RemoteRegistry(await createClient(registry, options));
}

/**
 * Opens one repository as a Target.
 *
 * @example
 * const repo = await openRepository({ registry: "127.0.0.1:5000", repository: "team/app" });
 * await repo.push(desc, bytes);
 */
export async function openRepository(ref: { registry: string; repository: string }, options: RemoteOptions = {}): Promise<RemoteRepository> {
  assertRepositoryName(ref.repository);
  return (await openRegistry(ref.registry, options)).repository(ref.repository);
}
