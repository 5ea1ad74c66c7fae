import type { IdpError } from "../../errors/index.ts";
import { Authorizer } from "../auth/authorizer.ts";
import { responseError } from "../response.ts";
import type { Endpoint } from "./endpoint.ts";
import type { HttpSender, SendSpec } from "./http.ts";

/** A request to the registry, with the token scopes it needs. */
export interface RequestSpec extends Omit<SendSpec, "url"> {
  /** A path (`/v2/…`) or an absolute URL (upload locations, Link targets). */
  url: string | URL;
  scopes: string[];
}

/**
 * One registry host, authenticated: every request gets the Authorization its scopes need, and
 * a 401 is answered once by the authorizer (new token, or Basic) before it is retried.
 *
 * @example const res = await client.request({ method: "GET", url: "/v2/", scopes: [] });
 */
export class RegistryClient {
  readonly endpoint: Endpoint;
  readonly sender: HttpSender;
  readonly authorizer: Authorizer;
  /**
   * What this registry turned out to do, learned on the way: whether it takes a small blob
   * in the POST that opens the upload (`?digest=` with the body; the spec's MAY).
   */
  readonly learned: { singlePostUpload?: boolean } = {};

  constructor(endpoint: Endpoint, sender: HttpSender, authorizer: Authorizer) {
    this.endpoint = endpoint;
    this.sender = sender;
    this.authorizer = authorizer;
  }

  /** A registry path or an upload `Location` (absolute or relative) as a URL. */
  url(path: string | URL): URL {
    return new URL(path, `${this.endpoint.base}/`);
  }

  async request(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.url);
    // Credentials go only to the registry itself: an upload Location or a Link may point at
    // another host (a storage service), which must never see them.
    const ours = url.origin === new URL(this.endpoint.base).origin;
    for (let attempt = 0; ; attempt++) {
      const authorization = ours ? await this.authorizer.authorization(spec.scopes) : undefined;
      const headers = { ...spec.headers, ...(authorization ? { Authorization: authorization } : {}) };
      const res = await this.sender.send({ ...spec, url, headers });
      if (res.status !== 401 || attempt > 0 || !ours || spec.body instanceof ReadableStream) return res;
      if (!(await this.authorizer.challenge(res, spec.scopes, authorization))) return res;
      await res.body?.cancel().catch(() => {});
    }
  }

  /** The error for a failed answer (status, OCI codes, hint); reads and closes the body. */
  async error(res: Response, method: string, url: string | URL, repository?: string): Promise<IdpError> {
    return responseError(res, {
      method,
      url: this.url(url).toString(),
      authenticated: await this.authorizer.hasCredential(),
      ...(repository === undefined ? {} : { repository }),
    });
  }
}
