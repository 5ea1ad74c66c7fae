import { createHash, createHmac } from "node:crypto";

/** AWS credentials: an access key, its secret, and a session token for temporary ones. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch ms when temporary credentials expire. */
  expiresAt?: number;
}

export interface SignInput {
  method: string;
  url: URL;
  /** Headers to sign; `host` and `x-amz-date` are added. Names are matched case-insensitively. */
  headers: Record<string, string>;
  /** The body's bytes, or the hex SHA-256 of them. */
  body: Uint8Array | { sha256: string };
  region: string;
  service: string;
  credentials: AwsCredentials;
  /** Signing time (tests pin it). */
  now?: Date;
}

/**
 * Signs a request with AWS Signature Version 4 (the scheme every AWS API, ECR's included,
 * requires): returns the headers to send, `Authorization`, `X-Amz-Date` and, for temporary
 * credentials, `X-Amz-Security-Token`, beside the given ones. Only the secret's HMACs leave
 * this function; the secret itself is never put in a header or message.
 *
 * @example
 * const headers = signV4({ method: "POST", url, headers: { "content-type": "application/x-amz-json-1.1" }, body, region: "eu-west-1", service: "ecr", credentials });
 */
export function signV4(input: SignInput): Record<string, string> {
  const now = input.now ?? new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, host: input.url.host, "x-amz-date": amzDate };
  if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;
  const canonical = Object.entries(headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, " ")] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = canonical.map(([k]) => k).join(";");
  const payloadHash = input.body instanceof Uint8Array ? sha256Hex(input.body) : input.body.sha256;
  const request = [
    input.method.toUpperCase(),
    canonicalPath(input.url.pathname),
    canonicalQuery(input.url.searchParams),
    canonical.map(([k, v]) => `${k}:${v}\n`).join(""),
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(new TextEncoder().encode(request))].join("\n");
  let key = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, input.service, "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  const out: Record<string, string> = { ...input.headers, "X-Amz-Date": amzDate };
  if (input.credentials.sessionToken) out["X-Amz-Security-Token"] = input.credentials.sessionToken;
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return out;
}

/**
 * Hex SHA-256, as SigV4 hashes payloads and canonical requests.
 *
 * @example sha256Hex("") // "e3b0c442…b855"
 */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** RFC 3986 encoding of each path segment (AWS leaves `/` and unreserved characters alone). */
function canonicalPath(path: string): string {
  return (path || "/").split("/").map((s) => encode(decodeURIComponent(s))).join("/");
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params.entries()]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
