import { hasSecret } from "../remote/auth/credentials.ts";
import type { ProviderContext } from "./types.ts";

/**
 * `Authorization: Basic …` from the registry's credential, for provider APIs that take the
 * same user and password (or token) as the registry: Harbor, Gitea, Artifactory-style APIs.
 * Undefined (anonymous) when there is no credential.
 *
 * @example await ctx.api(base, basicAuthorization(ctx))
 */
export function basicAuthorization(ctx: ProviderContext): () => Promise<string | undefined> {
  return async () => {
    const credential = await ctx.credential();
    if (!hasSecret(credential) || credential.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${credential.username ?? ""}:${credential.password}`).toString("base64")}`;
  };
}

/**
 * The API base of a provider that serves its API on the registry's own origin: `options.api`
 * when set, else the registry's scheme and host.
 *
 * @example sameOriginApi(ctx) // "https://harbor.example.com"
 */
export function sameOriginApi(ctx: ProviderContext): string {
  const configured = ctx.registry.entry?.options?.api;
  if (configured) return configured;
  const tls = ctx.registry.entry?.tls;
  const plain = ctx.remote.plainHttp ?? tls?.plainHttp ?? (ctx.registry.url.scheme === "http" ? true : ctx.registry.url.scheme === "https" ? false : isLoopbackHost(ctx.registry.host));
  return `${plain ? "http" : "https"}://${ctx.registry.host}`;
}

function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return name === "localhost" || name.startsWith("127.") || name === "::1";
}
