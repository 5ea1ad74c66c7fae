import * as v from "valibot";
import { AuthError, InvalidInputError, NotFoundError, RegistryResponseError } from "../errors/index.ts";
import { describeIssue } from "../oci/schemas.ts";
import type { HttpSender } from "../remote/transport/http.ts";

/** A request to a provider API. */
export interface ApiRequest {
  method?: string;
  /** Path relative to the API base (`/api/v2.0/projects`) or an absolute URL on the same origin. */
  path: string | URL;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string | undefined>;
  /** Sent as is (a signed request's exact bytes); set Content-Type in `headers`. */
  body?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Largest API answer read; listings are paged well below this. */
const ANSWER_LIMIT = 16 * 1024 * 1024;

/**
 * A small JSON client for the APIs registries have beside the OCI one (Harbor's, Gitea's,
 * Docker Hub's, GitHub's, ECR's): requests go through the remote client's HttpSender, so they
 * get the same TLS settings, proxies, retries and idle timeout; answers are read with a size
 * cap and checked by a valibot schema. Credentials are sent only to the API's own origin.
 *
 * @example
 * const api = ctx.api("https://hub.docker.com");
 * const page = await api.json({ path: "/v2/namespaces/library/repositories" }, PageSchema);
 */
export class ApiClient {
  readonly base: URL;
  readonly #sender: HttpSender;
  readonly #authorization: (() => Promise<string | undefined>) | undefined;
  readonly #what: string;

  constructor(base: string, sender: HttpSender, authorization: (() => Promise<string | undefined>) | undefined, what: string) {
    this.base = new URL(base.endsWith("/") ? base : `${base}/`);
    this.#sender = sender;
    this.#authorization = authorization;
    this.#what = what;
  }

  /** The absolute URL of a request, refusing other origins (a `next` link must stay here). */
  url(path: string | URL, query: ApiRequest["query"] = {}): URL {
    const url = typeof path === "string" && !/^https?:\/\//.test(path) ? new URL(path.replace(/^\//, ""), this.base) : new URL(path);
    if (url.origin !== this.base.origin) throw new InvalidInputError(`${this.#what} pointed at another host (${url.host})`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** Sends a request; the answer is returned whatever its status. */
  async send(request: ApiRequest): Promise<Response> {
    const url = this.url(request.path, request.query);
    const headers: Record<string, string> = { Accept: "application/json", ...request.headers };
    const authorization = await this.#authorization?.();
    if (authorization && !headers.Authorization) headers.Authorization = authorization;
    let body: Uint8Array | undefined = request.body;
    if (body !== undefined) {
      // Sent exactly as given.
    } else if (request.json !== undefined) {
      headers["Content-Type"] ??= "application/json";
      body = new TextEncoder().encode(JSON.stringify(request.json));
    } else if (request.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(request.form)) if (value !== undefined) form.set(key, value);
      body = new TextEncoder().encode(form.toString());
    }
    return this.#sender.send({
      method: request.method ?? (body ? "POST" : "GET"),
      url,
      headers,
      ...(body ? { body } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }

  /**
   * Sends a request and parses a 2xx JSON answer with `schema`; other statuses become
   * AuthError (401/403), NotFoundError (404) or RegistryResponseError.
   */
  async json<S extends v.GenericSchema>(request: ApiRequest, schema: S): Promise<{ value: v.InferOutput<S>; response: Response }> {
    const response = await this.send(request);
    const url = this.url(request.path, request.query);
    if (!response.ok) throw await apiError(response, request.method ?? (request.json || request.form || request.body ? "POST" : "GET"), url, this.#what);
    const text = await readCapped(response, ANSWER_LIMIT, this.#what);
    let doc: unknown;
    try {
      doc = text === "" ? null : JSON.parse(text);
    } catch {
      throw new InvalidInputError(`${this.#what} answered ${url.pathname} with something that is not JSON`);
    }
    const parsed = v.safeParse(schema, doc);
    if (!parsed.success) throw new InvalidInputError(`${this.#what} answered ${url.pathname} unexpectedly: ${describeIssue(parsed.issues)}`);
    return { value: parsed.output, response };
  }
}

const OciErrorsSchema = v.looseObject({ errors: v.array(v.looseObject({ code: v.optional(v.string()), message: v.optional(v.string()) })) });
const AwsErrorSchema = v.looseObject({ __type: v.string(), message: v.optional(v.string()) });
const MessageSchema = v.looseObject({ message: v.string() });

/**
 * The error for a failed API answer. Messages carry the status and the service's own error
 * code and message (Harbor's `errors`, AWS's `__type`), never request bodies or headers.
 *
 * @example if (!res.ok) throw await apiError(res, "GET", url, "Harbor API at harbor.example.com");
 */
export async function apiError(response: Response, method: string, url: URL, what: string): Promise<Error> {
  const text = await readCapped(response, 64 * 1024, what).catch(() => "");
  let codes: string[] = [];
  let messages: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page): the status says enough.
  }
  const oci = v.safeParse(OciErrorsSchema, doc);
  const aws = v.safeParse(AwsErrorSchema, doc);
  const plain = v.safeParse(MessageSchema, doc);
  if (oci.success) {
    codes = oci.output.errors.map((e) => (e.code ?? "UNKNOWN").toUpperCase());
    messages = oci.output.errors.map((e) => e.message ?? "");
  } else if (aws.success) {
    codes = [aws.output.__type.split("#").pop()!];
    messages = [aws.output.message ?? ""];
  } else if (plain.success) {
    codes = ["ERROR"];
    messages = [plain.output.message];
  }
  const error = new RegistryResponseError({ method, url: url.toString(), status: response.status, codes, messages });
  if (response.status === 401 || response.status === 403) {
    return new AuthError(`${what} refused the request: ${error.message}`, {
      cause: error,
      hint: response.status === 401 ? "check the credentials configured for this registry (`idp registry show NAME`)" : "the credentials are valid but lack the permission for this call",
    });
  }
  if (response.status === 404) return new NotFoundError(`${what}: ${error.message}`, { cause: error });
  return error;
}

/**
 * Reads at most `limit` bytes of a body as text; InvalidInputError past it.
 *
 * @example const text = await readCapped(res, 64 * 1024, "Gitea API");
 */
export async function readCapped(response: Response, limit: number, what: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? new ReadableStream<Uint8Array>()) {
    size += chunk.byteLength;
    if (size > limit) throw new InvalidInputError(`${what} answered more than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
