import { ipVersion } from "../../util/ip.ts";
import { InvalidInputError, InvalidReferenceError } from "../../errors/index.ts";

/** How to reach one registry host: the URL base and the connection settings fetch needs. */
export interface Endpoint {
  /** `host[:port]` as given (the credential key). */
  host: string;
  /** `https://host[:port]` or `http://host[:port]`: where `/v2/` lives. */
  base: string;
  /** TLS settings for fetch; undefined on plain HTTP. */
  tls: { rejectUnauthorized: boolean; ca?: string } | undefined;
}

export interface EndpointOptions {
  /** Skip certificate verification, and allow plain HTTP to any host. */
  insecure?: boolean;
  /**
   * Use plain HTTP. Allowed without `insecure` only for loopback hosts, where it is also the
   * default (a local `idp serve` or kind registry speaks HTTP); `false` forces HTTPS there.
   */
  plainHttp?: boolean;
  /** PEM bundle trusted for this registry, besides the system roots. */
  caFile?: string;
}

/** The host `docker.io` names in references; its API lives elsewhere. */
const DOCKER_HUB_API = "registry-1.docker.io";

/**
 * Decides how to talk to `registry`: HTTPS with verification by default; plain HTTP when asked,
 * which, as in Docker, needs no flag for loopback hosts (127.0.0.0/8, ::1, localhost; plain
 * HTTP is their default) and `insecure` for any other; the CA file is read here so a missing
 * file fails early.
 *
 * @example await resolveEndpoint("127.0.0.1:5000", { plainHttp: true }) // base http://127.0.0.1:5000
 */
export async function resolveEndpoint(registry: string, options: EndpointOptions = {}): Promise<Endpoint> {
  const host = registry === "docker.io" || registry === "index.docker.io" ? DOCKER_HUB_API : registry;
  const hostname = hostnameOf(host);
  if (options.plainHttp ?? isLoopback(hostname)) {
    if (!options.insecure && !isLoopback(hostname)) {
      throw new InvalidInputError(`refusing plain HTTP to ${registry}: only loopback registries may skip TLS`, {
        hint: "use HTTPS, or pass --insecure if you really mean to send requests unencrypted",
      });
    }
    return { host: registry, base: `http://${host}`, tls: undefined };
  }
  let ca: string | undefined;
  if (options.caFile) {
    const file = Bun.file(options.caFile);
    if (!(await file.exists())) throw new InvalidInputError(`CA file ${options.caFile} does not exist`);
    ca = await file.text();
  }
  return {
    host: registry,
    base: `https://${host}`,
    tls: { rejectUnauthorized: !options.insecure, ...(ca === undefined ? {} : { ca }) },
  };
}

/** The hostname of `host[:port]` or `[v6]:port`, lower-cased, without brackets. */
export function hostnameOf(host: string): string {
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    throw new InvalidReferenceError(`invalid registry host ${JSON.stringify(host.slice(0, 80))}`);
  }
  if (url.host !== host.toLowerCase() || url.pathname !== "/" || url.username || url.search) {
    throw new InvalidReferenceError(`invalid registry host ${JSON.stringify(host.slice(0, 80))}`, {
      hint: "a registry is host[:port], e.g. ghcr.io or 127.0.0.1:5000",
    });
  }
  return url.hostname.replace(/^\[|\]$/g, "");
}

/** Loopback as Docker counts it: 127.0.0.0/8, ::1 and the name localhost. */
export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (ipVersion(name) === 4) return name.startsWith("127.");
  if (ipVersion(name) === 6) return name === "::1" || name === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(name);
  return false;
}
