import * as v from "valibot";
import { AuthError } from "../../src/errors/index.ts";
import type { TokenKey } from "./keys.ts";

/** A grant inside a token, as the Docker token spec writes it. */
const AccessClaimSchema = v.object({
  type: v.string(),
  name: v.string(),
  actions: v.array(v.string()),
});
export type AccessClaim = v.InferOutput<typeof AccessClaimSchema>;

const ClaimsSchema = v.object({
  iss: v.string(),
  sub: v.string(),
  aud: v.union([v.string(), v.array(v.string())]),
  exp: v.number(),
  nbf: v.optional(v.number()),
  iat: v.optional(v.number()),
  jti: v.optional(v.string()),
  access: v.optional(v.array(AccessClaimSchema), []),
});
export type TokenClaims = v.InferOutput<typeof ClaimsSchema>;

/** Largest token accepted; ours are a few hundred bytes per repository granted. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Clock difference tolerated on `nbf`/`iat`, seconds. */
const SKEW_S = 30;
/** The only header members accepted: no jwk, jku, x5c, x5u, crit… (d-3). */
const HEADER_MEMBERS = new Set(["alg", "typ", "kid"]);
const PART = /^[A-Za-z0-9_-]+$/;

/**
 * Why a token was refused; the message names the rule, never the token.
 *
 * @example throw new TokenError("token has expired");
 */
export class TokenError extends AuthError {
  override name = "TokenError";
}

/**
 * Signs claims as a compact JWS with idp's own key.
 *
 * @example const jwt = await signToken(key, { iss: "idp", sub: "ann", aud: "idp-registry", exp, access: [] });
 */
export async function signToken(key: TokenKey, claims: TokenClaims): Promise<string> {
  const header = encodeJson({ alg: key.alg, typ: "JWT", kid: key.kid });
  const payload = encodeJson(claims);
  const signature = await key.sign(new TextEncoder().encode(`${header}.${payload}`));
  return `${header}.${payload}.${Buffer.from(signature).toString("base64url")}`;
}

/**
 * Verifies a token against idp's key and the expected issuer and audience. The header is
 * checked before any cryptography: its `alg` must be the key's own (so `none`, HS256 "signed"
 * with the public key, or another algorithm never reach a verifier), its `kid` must be the
 * key's, and keys or certificates embedded in it (`jwk`, `jku`, `x5c`, …) are refused outright
 * rather than ignored. Then the signature, then `iss`, `aud`, `exp`, `nbf` and `iat`.
 *
 * @example const claims = await verifyToken(key, jwt, { issuer: "idp", audience: "idp-registry" });
 */
export async function verifyToken(
  key: TokenKey,
  token: string,
  expect: { issuer: string; audience: string; maxTtlSeconds: number; nowSeconds?: number },
): Promise<TokenClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError("token is too long");
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new TokenError("token is not a compact JWS");
  const [rawHeader, rawPayload, rawSignature] = parts as [string, string, string];
  const header = decodeJson(rawHeader);
  if (!isRecord(header)) throw new TokenError("token header is not a JSON object");
  for (const member of Object.keys(header)) {
    if (!HEADER_MEMBERS.has(member)) throw new TokenError(`token header member ${JSON.stringify(member.slice(0, 20))} is not accepted`);
  }
  if (header.alg !== key.alg) throw new TokenError(`token algorithm must be ${key.alg}`);
  if (header.kid !== key.kid) throw new TokenError("token was not signed with this registry's key");
  if (header.typ !== undefined && header.typ !== "JWT") throw new TokenError("token type must be JWT");
  const signed = new TextEncoder().encode(`${rawHeader}.${rawPayload}`);
  if (!(await key.verify(signed, Buffer.from(rawSignature, "base64url")))) throw new TokenError("token signature does not verify");
  const parsed = v.safeParse(ClaimsSchema, decodeJson(rawPayload));
  if (!parsed.success) throw new TokenError("token claims are malformed");
  const claims = parsed.output;
  const now = expect.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (claims.iss !== expect.issuer) throw new TokenError("token issuer is not this registry");
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expect.audience)) throw new TokenError("token audience is not this registry");
  if (claims.exp <= now) throw new TokenError("token has expired");
  if (claims.exp > now + expect.maxTtlSeconds + SKEW_S) throw new TokenError("token lives longer than this registry issues");
  if (claims.nbf !== undefined && claims.nbf > now + SKEW_S) throw new TokenError("token is not valid yet");
  if (claims.iat !== undefined && claims.iat > now + SKEW_S) throw new TokenError("token was issued in the future");
  return claims;
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new TokenError("token part is not base64url JSON");
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
