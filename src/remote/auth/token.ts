import * as v from "valibot";
import { AuthError, InvalidInputError, RegistryResponseError } from "../../errors/index.ts";
import type { HttpSender } from "../transport/http.ts";
import { readErrorBody } from "../response.ts";
import type { Credential } from "./credentials.ts";

/** A token endpoint's answer (Docker token spec and OAuth2 forms alike). */
export const TokenResponseSchema = v.pipe(
  v.looseObject({
    token: v.optional(v.string()),
    access_token: v.optional(v.string()),
    expires_in: v.optional(v.pipe(v.number(), v.minValue(0))),
    issued_at: v.optional(v.string()),
    refresh_token: v.optional(v.string()),
  }),
  v.check((r) => Boolean(r.token || r.access_token), "has neither token nor access_token"),
);

/** A bearer token and when to stop using it. */
export interface Token {
  token: string;
  /** Epoch ms after which the token is renewed (a margin before it really expires). */
  renewAt: number;
  refreshToken: string | undefined;
}

export interface TokenRequest {
  realm: string;
  service: string | undefined;
  scopes: string[];
  credential: Credential | undefined;
  /** Where the credential came from, for messages (never the secret). */
  source: string;
  clientId: string;
  /** Try the OAuth2 password grant (POST) before the Docker GET form. */
  oauth2: boolean;
  now?: () => number;
}

/** The Docker token spec's default lifetime, when the answer names none. */
const DEFAULT_EXPIRES_IN = 60;

/**
 * Gets a bearer token from `realm`. With a refresh token (`identityToken`): the OAuth2 POST
 * form, `grant_type=refresh_token`. With a password: the Docker GET form with Basic auth, or
 * first the OAuth2 `grant_type=password` POST when `oauth2` is set (falling back to GET on
 * 400/401/404/405, as containerd does). Without credentials: an anonymous GET.
 *
 * @example await fetchToken(sender, { realm, service, scopes: ["repository:a:pull"], … })
 */
export async function fetchToken(sender: HttpSender, request: TokenRequest): Promise<Token> {
  const { credential } = request;
  if (credential?.identityToken) {
    return post(sender, request, { grant_type: "refresh_token", refresh_token: credential.identityToken });
  }
  if (credential?.password !== undefined && request.oauth2) {
    const form = { grant_type: "password", username: credential.username ?? "", password: credential.password };
    const res = await postRaw(sender, request, form);
    if (![400, 401, 404, 405].includes(res.status)) return readToken(res, request, "POST");
    await res.body?.cancel().catch(() => {});
  }
  const url = new URL(request.realm);
  if (request.service) url.searchParams.set("service", request.service);
  for (const scope of request.scopes) url.searchParams.append("scope", scope);
  const headers: Record<string, string> = {};
  if (credential?.password !== undefined) {
    if (credential.username) url.searchParams.set("account", credential.username);
    headers.Authorization = `Basic ${Buffer.from(`${credential.username ?? ""}:${credential.password}`).toString("base64")}`;
  }
  const res = await sender.send({ method: "GET", url, headers });
  return readToken(res, request, "GET");
}

async function post(sender: HttpSender, request: TokenRequest, form: Record<string, string>): Promise<Token> {
  return readToken(await postRaw(sender, request, form), request, "POST");
}

function postRaw(sender: HttpSender, request: TokenRequest, form: Record<string, string>): Promise<Response> {
  const body = new URLSearchParams({ ...form, client_id: request.clientId });
  if (request.service) body.set("service", request.service);
  if (request.scopes.length > 0) body.set("scope", request.scopes.join(" "));
  return sender.send({
    method: "POST",
    url: new URL(request.realm),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new TextEncoder().encode(body.toString()),
  });
}

async function readToken(res: Response, request: TokenRequest, method: string): Promise<Token> {
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel().catch(() => {});
    const host = new URL(request.realm).host;
    throw new AuthError(
      request.credential
        ? `the token service at ${host} refused the credentials from ${request.source}`
        : `the token service at ${host} refused anonymous access`,
      { hint: request.credential ? "check the username and password, then run `idp login` again" : "log in first: `idp login <registry>`" },
    );
  }
  if (!res.ok) {
    const body = await readErrorBody(res);
    throw new RegistryResponseError({ method, url: res.url || request.realm, status: res.status, ...body });
  }
  const text = await readLimited(res, 1024 * 1024);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`the token service at ${new URL(request.realm).host} answered something that is not JSON`);
  }
  const parsed = v.safeParse(TokenResponseSchema, doc);
  if (!parsed.success) throw new InvalidInputError(`the token service at ${new URL(request.realm).host} answered without a token`);
  const out = parsed.output;
  const now = request.now?.() ?? Date.now();
  const lifetime = Math.max(out.expires_in ?? DEFAULT_EXPIRES_IN, 1);
  const issued = out.issued_at ? Date.parse(out.issued_at) : Number.NaN;
  const start = Number.isNaN(issued) || issued > now ? now : issued;
  const margin = Math.min(30, lifetime / 4) * 1000;
  return { token: (out.token || out.access_token)!, renewAt: start + lifetime * 1000 - margin, refreshToken: out.refresh_token };
}

/** Reads at most `limit` bytes of a body as text; a token answer has no reason to be big. */
async function readLimited(res: Response, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? new ReadableStream<Uint8Array>()) {
    size += chunk.byteLength;
    if (size > limit) {
      throw new InvalidInputError(`the token service answered more than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
