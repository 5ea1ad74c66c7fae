import { loadRegistries } from "./file.ts";
import { expandReference, resolveRegistry } from "./resolve.ts";

/**
 * Name lookups every registry command makes, kept apart from the editing code (and the YAML
 * writer it loads) so that reading references stays cheap at start-up.
 */

/**
 * A reference as typed, with a configured registry name (or the default registry) turned
 * into its host (see expandReference for the rules).
 *
 * @example await expandNamedReference("local/team/app:v1") // { text: "127.0.0.1:5000/team/app:v1", registry: "local" }
 */
export async function expandNamedReference(text: string, env: Record<string, string | undefined> = process.env): Promise<{ text: string; registry?: string }> {
  // Layouts never name a registry: they work even when registries.yaml is broken.
  if (text.startsWith("oci-layout:")) return { text };
  const expanded = expandReference(text, await loadRegistries(env));
  return { text: expanded.text, ...(expanded.registry?.name ? { registry: expanded.registry.name } : {}) };
}

/**
 * The host and transport settings of a registry given by name or host, for commands that
 * take a registry rather than a reference (`idp login corp`): a configured name becomes its
 * host, with its entry's TLS settings under the flags' own.
 *
 * @example await registryHost("corp", {}) // { host: "harbor.example.com", tls: { caFile: "/etc/ssl/corp.pem" } }
 */
export async function registryHost(nameOrHost: string, env: Record<string, string | undefined> = process.env): Promise<{ host: string; tls: { insecure?: boolean; plainHttp?: boolean; caFile?: string } }> {
  const config = await loadRegistries(env);
  const bare = nameOrHost.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const registry = resolveRegistry(config, nameOrHost) ?? resolveRegistry(config, bare);
  if (!registry) return { host: bare, tls: {} };
  const tls = registry.entry?.tls ?? {};
  const plainHttp = tls.plainHttp ?? (registry.url.scheme === "http" ? true : undefined);
  return { host: registry.host, tls: { ...(tls.insecure ? { insecure: true } : {}), ...(plainHttp ? { plainHttp } : {}), ...(tls.caFile ? { caFile: tls.caFile } : {}) } };
}
