import { parseChallenges } from "../remote/auth/challenge.ts";
import { retryPolicy } from "../remote/retry/policy.ts";
import { resolveEndpoint, type EndpointOptions } from "../remote/transport/endpoint.ts";
import { HttpSender } from "../remote/transport/http.ts";
import type { ProviderKind } from "../registries/schema.ts";
import { VERSION } from "../version.ts";
import { readCapped } from "./api.ts";
import { PROVIDERS, providerForHost } from "./catalog.ts";
import type { ProbeEvidence } from "./types.ts";

/** Which provider a registry is, and what gave it away. */
export interface Discovery {
  kind: ProviderKind;
  /** `host`: the name alone; `answer`: the `/v2/` challenge; `endpoint`: a well-known API; `default`: nothing matched. */
  by: "host" | "answer" | "endpoint" | "default";
  /** What was seen, for `idp registry add` to show. */
  detail: string;
}

export interface DiscoverOptions extends EndpointOptions {
  /** Ask the registry when the host does not decide (default true). */
  probe?: boolean;
  env?: Record<string, string | undefined>;
  /** Idle timeout per request, ms (default 10 s: discovery should not hang `registry add`). */
  timeoutMs?: number;
}

/**
 * Finds the provider of a registry: from the host name when it is one only a service uses
 * (docker.io, ghcr.io, *.azurecr.io, *.dkr.ecr.*.amazonaws.com); otherwise by asking, without
 * credentials, `GET /v2/` (Harbor, Gitea, Docker Hub, GHCR, ECR and ACR name themselves in
 * their token challenge) and then the well-known endpoints of the services that run on
 * anyone's domain (Harbor's `/api/v2.0/systeminfo`, Gitea's `/api/v1/version`). Anything else
 * is a generic OCI registry. The user can always override the answer in registries.yaml.
 *
 * @example await discoverProvider("harbor.example.com") // { kind: "harbor", by: "answer", … }
 */
export async function discoverProvider(host: string, options: DiscoverOptions = {}): Promise<Discovery> {
  const known = providerForHost(host);
  if (known) return { kind: known, by: "host", detail: `the host ${host}` };
  if (options.probe === false) return { kind: "generic", by: "default", detail: "not probed" };
  const env = options.env ?? process.env;
  const endpoint = await resolveEndpoint(host, options);
  const sender = new HttpSender({ endpoint, policy: retryPolicy(env, { retries: 1, timeoutMs: options.timeoutMs ?? 10_000 }), userAgent: `idp/${VERSION}`, env });
  const evidence = await probeV2(sender, endpoint.base);
  for (const provider of PROVIDERS) {
    if (provider.recognizesAnswer?.(evidence)) return { kind: provider.kind, by: "answer", detail: describeEvidence(evidence) };
  }
  for (const provider of PROVIDERS) {
    if (!provider.wellKnown) continue;
    const body = await getJson(sender, new URL(provider.wellKnown.path, endpoint.base));
    if (body !== undefined && provider.wellKnown.matches(body)) return { kind: provider.kind, by: "endpoint", detail: `${provider.wellKnown.path} answered` };
  }
  return { kind: "generic", by: "default", detail: describeEvidence(evidence) };
}

/**
 * What an anonymous `GET /v2/` shows: status, headers and the first challenge (Bearer
 * preferred, as clients choose it).
 *
 * @example const evidence = await probeV2(sender, "https://harbor.example.com");
 */
export async function probeV2(sender: HttpSender, base: string): Promise<ProbeEvidence> {
  const res = await sender.send({ method: "GET", url: new URL("/v2/", base) });
  await res.body?.cancel().catch(() => {});
  const challenges = parseChallenges(res.headers.get("www-authenticate"));
  const chosen = challenges.find((c) => c.scheme === "bearer") ?? challenges[0];
  return {
    status: res.status,
    headers: res.headers,
    challenge: chosen ? { scheme: chosen.scheme, ...(chosen.params.realm ? { realm: chosen.params.realm } : {}), ...(chosen.params.service ? { service: chosen.params.service } : {}) } : undefined,
  };
}

function describeEvidence(e: ProbeEvidence): string {
  if (!e.challenge) return `GET /v2/ answered ${e.status} without a challenge`;
  const parts = [e.challenge.realm ? `realm ${e.challenge.realm}` : "", e.challenge.service ? `service ${e.challenge.service}` : ""].filter(Boolean);
  return `GET /v2/ answered ${e.status} with a ${e.challenge.scheme} challenge${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

async function getJson(sender: HttpSender, url: URL): Promise<unknown> {
  try {
    const res = await sender.send({ method: "GET", url, headers: { Accept: "application/json" }, retries: 0 });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    return JSON.parse(await readCapped(res, 64 * 1024, url.host));
  } catch {
    return undefined;
  }
}
