/** One answered request, as the access log writes it. Nothing here is a secret by construction. */
export interface AccessEntry {
  method: string;
  /** Path plus only the query parameters in SAFE_QUERY (no credentials, no tokens). */
  path: string;
  status: number;
  ms: number;
  bytesIn: number;
  bytesOut: number;
  route: string;
  address: string;
  user: string | undefined;
}

/** Query parameters worth logging; any other (an `account`, a future `_state`) is dropped. */
const SAFE_QUERY = new Set(["digest", "mount", "from", "n", "last", "tag", "artifactType", "digest-algorithm", "service", "scope"]);
const FLUSH_MS = 100;
const FLUSH_BYTES = 64 * 1024;

/**
 * The access log on stderr: one line per request, JSON (for log shippers) or text (for
 * people). Lines are batched and written at most every 100 ms, so logging never turns each
 * request into a blocking write.
 *
 * @example
 * const log = new AccessLog({ json: !process.stderr.isTTY });
 * log.request({ method: "GET", path: "/v2/", status: 200, … });
 * log.flush();
 */
export class AccessLog {
  readonly json: boolean;
  #write: (text: string) => void;
  #buffer = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { json: boolean; write?: (text: string) => void }) {
    this.json = options.json;
    this.#write = options.write ?? ((text) => void process.stderr.write(text));
  }

  request(entry: AccessEntry): void {
    const time = new Date().toISOString();
    const line = this.json
      ? JSON.stringify({ time, level: "info", msg: "request", ...entry, user: entry.user ?? null })
      : `${time} ${entry.address} ${entry.user ?? "-"} "${entry.method} ${entry.path}" ${entry.status} ${entry.ms.toFixed(1)}ms in=${entry.bytesIn} out=${entry.bytesOut}`;
    this.#append(`${line}\n`);
  }

  /** A server event (gc finished, a purge) in the same format. */
  event(msg: string, fields: Record<string, unknown> = {}): void {
    const time = new Date().toISOString();
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    this.#append(`${this.json ? JSON.stringify({ time, level: "info", msg, ...fields }) : `${time} ${msg}${text ? ` ${text}` : ""}`}\n`);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#buffer) return;
    const text = this.#buffer;
    this.#buffer = "";
    this.#write(text);
  }

  #append(line: string): void {
    this.#buffer += line;
    if (this.#buffer.length >= FLUSH_BYTES) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }
}

/**
 * `/v2/a/blobs/uploads/?mount=…&from=…&x=secret` → the path with only safe parameters.
 *
 * @example loggablePath("http://h/v2/a/tags/list?n=5&x=secret", "/v2/a/tags/list") // "/v2/a/tags/list?n=5"
 */
export function loggablePath(url: string, rawPath: string): string {
  const q = url.indexOf("?");
  if (q === -1) return rawPath.slice(0, 1024);
  const kept = [...new URLSearchParams(url.slice(q + 1))].filter(([k]) => SAFE_QUERY.has(k)).map(([k, v]) => `${k}=${encodeURIComponent(v.slice(0, 200))}`);
  return `${rawPath.slice(0, 1024)}${kept.length ? `?${kept.join("&")}` : ""}`;
}
