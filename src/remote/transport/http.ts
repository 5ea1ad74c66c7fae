import { NetworkError } from "../../errors/index.ts";
import { backoffDelay, isRetryableStatus, parseRetryAfter, type RetryPolicy } from "../retry/policy.ts";
import type { Endpoint } from "./endpoint.ts";
import { proxyFor } from "./proxy.ts";

/** A request the sender may have to send more than once (retries, redirects). */
export interface SendSpec {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /**
   * Bytes or a file (a Blob), which can be resent; or a stream, which cannot: a request with
   * a stream body is tried once and follows no redirect that would resend it (the caller
   * resumes instead).
   */
  body?: Uint8Array | ReadableStream<Uint8Array> | Blob;
  /** Aborts the request, and the reading of its response body. */
  signal?: AbortSignal;
  /** Retries for this request; defaults to the policy's. */
  retries?: number;
  /** Called before each retry, with the attempt number and the reason, for logging/tests. */
  onRetry?: (attempt: number, reason: string) => void;
}

/** Called before each request leaves (see RemoteOptions.onRequest). */
export type RequestHook = (request: { method: string; url: URL }) => void | Promise<void>;

/** Settings shared by every request to one registry. */
export interface SenderOptions {
  endpoint: Endpoint;
  policy: RetryPolicy;
  userAgent: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  onRequest?: RequestHook;
}

const MAX_REDIRECTS = 10;

/**
 * The HTTP layer under the registry client: TLS and proxy settings per URL, an idle timeout
 * until the response starts, retries with backoff and jitter on connection errors, 408, 429
 * and 5xx (honouring Retry-After), and redirects followed by hand, because fetch would carry
 * the Authorization header to whatever host a redirect names. Auth lives one layer up.
 */
export class HttpSender {
  readonly options: SenderOptions;
  constructor(options: SenderOptions) {
    this.options = options;
  }

  /**
   * Sends `spec`, retrying and redirecting as needed; resolves with the final response
   * (whatever its status, once retries are spent). Connection failures after the last
   * retry are NetworkError; an abort rejects with the signal's reason.
   *
   * @example await sender.send({ method: "GET", url: new URL("https://ghcr.io/v2/") })
   */
  async send(spec: SendSpec): Promise<Response> {
    const retries = spec.body instanceof ReadableStream ? 0 : (spec.retries ?? this.options.policy.retries);
    let attempt = 0;
    for (;;) {
      let response: Response;
      try {
        response = await this.#follow(spec);
      } catch (error) {
        this.#throwIfAborted(spec.signal);
        if (!(error instanceof NetworkError) || attempt >= retries) throw error;
        attempt++;
        spec.onRetry?.(attempt, error.message);
        await this.#sleep(backoffDelay(this.options.policy, attempt), spec.signal);
        continue;
      }
      if (!isRetryableStatus(response.status) || attempt >= retries) return response;
      attempt++;
      const wait = parseRetryAfter(response.headers.get("retry-after"));
      await response.body?.cancel().catch(() => {});
      spec.onRetry?.(attempt, `${response.status}`);
      await this.#sleep(backoffDelay(this.options.policy, attempt, wait), spec.signal);
    }
  }

  /** One attempt, following redirects; Authorization is dropped when the origin changes. */
  async #follow(spec: SendSpec): Promise<Response> {
    let url = spec.url;
    let method = spec.method;
    let body = spec.body;
    let headers = { ...spec.headers };
    for (let hop = 0; ; hop++) {
      const response = await this.#once(method, url, headers, body, spec.signal);
      const location = response.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(response.status) || !location || hop >= MAX_REDIRECTS) return response;
      const next = new URL(location, url);
      if (next.protocol !== "https:" && next.protocol !== "http:") return response;
      if (url.protocol === "https:" && next.protocol === "http:") return response;
      const keepsBody = response.status === 307 || response.status === 308;
      if (keepsBody && body instanceof ReadableStream) return response;
      await response.body?.cancel().catch(() => {});
      if (!keepsBody && method !== "HEAD") {
        method = "GET";
        body = undefined;
      }
      if (next.origin !== url.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
      }
      url = next;
    }
  }

  async #once(method: string, url: URL, headers: Record<string, string>, body: SendSpec["body"], signal: AbortSignal | undefined): Promise<Response> {
    const { endpoint, policy, userAgent, env } = this.options;
    // Before the idle timer starts: time spent waiting on a rate limiter is not silence.
    await this.options.onRequest?.({ method, url });
    const timeout = new AbortController();
    const expire = () => timeout.abort(new NetworkError("timeout"));
    // A file body leaves through the kernel (sendfile), unseen: it gets the idle time plus one
    // second per MiB. An upload cut by that deadline on a slower link resumes from the
    // registry's offset (upload-streamed.ts), so a slow link still gets there.
    const timer = setTimeout(expire, policy.timeoutMs + (body instanceof Blob ? Math.ceil(body.size / 1048576) * 1000 : 0));
    // The timeout is idle time: every piece of a streamed body that leaves restarts it, so a
    // long upload is cut only when it stops moving.
    if (body instanceof ReadableStream) {
      body = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, out) {
            timer.refresh();
            out.enqueue(chunk);
          },
        }),
      );
    }
    const signals = [timeout.signal, ...(signal ? [signal] : []), ...(this.options.signal ? [this.options.signal] : [])];
    const sameHost = url.host === new URL(endpoint.base).host;
    try {
      return await fetch(url, {
        method,
        headers: { "User-Agent": userAgent, "Accept-Encoding": "identity", ...headers },
        body: body ?? null,
        redirect: "manual",
        decompress: false,
        proxy: proxyFor(url, env),
        signal: AbortSignal.any(signals),
        ...(sameHost && endpoint.tls && url.protocol === "https:" ? { tls: endpoint.tls } : {}),
      } as BunFetchRequestInit);
    } catch (error) {
      this.#throwIfAborted(signal);
      if (timeout.signal.aborted) {
        throw new NetworkError(`no answer from ${url.host} to ${method} within ${Math.round(policy.timeoutMs / 1000)} s`);
      }
      throw new NetworkError(`${method} to ${url.host} failed: ${describeNetworkError(error)}`, {
        hint: url.protocol === "https:" && isTlsError(error) ? "the TLS handshake failed: pass --ca-file for a private CA (or --insecure to skip verification)" : undefined,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  #throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw signal.reason;
    if (this.options.signal?.aborted) throw this.options.signal.reason;
  }

  async #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const all = [signal, this.options.signal].filter((s): s is AbortSignal => s !== undefined);
      const onAbort = () => {
        clearTimeout(timer);
        reject(all.find((s) => s.aborted)?.reason);
      };
      const timer = setTimeout(() => {
        for (const s of all) s.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      for (const s of all) s.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** A short, secret-free description of a fetch failure: its code, never its URL. */
export function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && /^[A-Za-z0-9_]+$/.test(code)) return code;
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  return "connection error";
}

function isTlsError(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? "");
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME/i.test(code);
}
