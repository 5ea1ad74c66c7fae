import { createHash, createPrivateKey, type KeyObject, type webcrypto } from "node:crypto";
import { InvalidInputError } from "../../src/errors/index.ts";

/** The key idp signs and checks its tokens with; nothing else is ever trusted. */
export interface TokenKey {
  alg: "ES256" | "RS256";
  /** RFC 7638 thumbprint of the public key; tokens must name it. */
  kid: string;
  /** Where it came from, for the startup banner: a file, or "generated". */
  source: string;
  /** The public half, as a JWK (what a verifier elsewhere would be given). */
  publicJwk: JsonWebKey;
  sign(data: Uint8Array): Promise<Uint8Array>;
  verify(data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

type JsonWebKey = webcrypto.JsonWebKey;

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const EC_SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * Loads a PEM private key (PKCS#8, SEC1 or PKCS#1): EC P-256 signs ES256, RSA of 2048 bits or
 * more signs RS256. Anything else is refused with the file named.
 *
 * @example const key = await loadTokenKey("/etc/idp/token.pem"); key.alg // "ES256"
 */
export async function loadTokenKey(path: string): Promise<TokenKey> {
  const pem = await Bun.file(path).text().catch((error: NodeJS.ErrnoException) => {
    throw new InvalidInputError(`token key ${path}: cannot read it (${error.code ?? error.message})`);
  });
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new InvalidInputError(`token key ${path}: not a PEM private key`, {
      hint: "create one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out token.pem",
    });
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1") return fromJwk(key.export({ format: "jwk" }), "ES256", path);
  if (key.asymmetricKeyType === "rsa" && (details.modulusLength ?? 0) >= 2048) return fromJwk(key.export({ format: "jwk" }), "RS256", path);
  throw new InvalidInputError(`token key ${path}: must be an EC P-256 or an RSA (2048 bits or more) private key, not ${key.asymmetricKeyType ?? "unknown"} ${details.namedCurve ?? details.modulusLength ?? ""}`.trim());
}

/**
 * A fresh P-256 key for this process only: tokens die with it, which short-lived tokens allow.
 *
 * @example const key = await generateTokenKey(); key.alg // "ES256"
 */
export async function generateTokenKey(): Promise<TokenKey> {
  const pair = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  return fromJwk((await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey, "ES256", "generated");
}

async function fromJwk(jwk: JsonWebKey, alg: TokenKey["alg"], source: string): Promise<TokenKey> {
  const ec = alg === "ES256";
  const publicJwk: JsonWebKey = ec ? { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } : { kty: "RSA", n: jwk.n, e: jwk.e };
  const privateKey = await crypto.subtle.importKey("jwk", jwk, ec ? EC : RSA, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey("jwk", publicJwk, ec ? EC : RSA, false, ["verify"]);
  const params = ec ? EC_SIGN : RSA;
  return {
    alg,
    kid: thumbprint(publicJwk),
    source,
    publicJwk,
    async sign(data) {
      return new Uint8Array(await crypto.subtle.sign(params, privateKey, data as Uint8Array<ArrayBuffer>));
    },
    async verify(data, signature) {
      if (ec && signature.byteLength !== 64) return false;
      return crypto.subtle.verify(params, publicKey, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>);
    },
  };
}

/** RFC 7638: SHA-256 over the required members in lexical order, base64url. */
function thumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}
