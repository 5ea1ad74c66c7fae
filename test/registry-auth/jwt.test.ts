import { afterAll, describe, expect, test } from "bun:test";
import { createHmac, createPublicKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { signToken, TokenError, verifyToken, type TokenClaims } from "../../registry/auth/jwt.ts";
import { generateTokenKey, loadTokenKey, type TokenKey } from "../../registry/auth/keys.ts";
import { InvalidInputError } from "../../src/errors/index.ts";
import { tempDir } from "../helpers/idp.ts";
import { run } from "../helpers/process.ts";

const expectOk = { issuer: "idp", audience: "idp-registry", maxTtlSeconds: 300 };
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

function claims(overrides: Partial<TokenClaims> = {}): TokenClaims {
  return { iss: "idp", sub: "ann", aud: "idp-registry", exp: now() + 60, iat: now(), access: [{ type: "repository", name: "a", actions: ["pull"] }], ...overrides };
}

/** Signs an arbitrary header and payload with `key` (for tokens our own signToken would never make). */
async function forge(key: TokenKey, header: Record<string, unknown>, payload: unknown): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${Buffer.from(await key.sign(new TextEncoder().encode(input))).toString("base64url")}`;
}

async function refusal(key: TokenKey, token: string, expect_ = expectOk): Promise<string> {
  try {
    await verifyToken(key, token, expect_);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenError);
    return (error as Error).message;
  }
  throw new Error("expected the token to be refused");
}

describe("token signing and verification (d-3)", () => {
  const dir = tempDir("idp-jwt-");
  afterAll(() => dir.remove());

  test("a token signed with the registry's key verifies and keeps its claims", async () => {
    const key = await generateTokenKey();
    const token = await signToken(key, claims());
    const verified = await verifyToken(key, token, expectOk);
    expect(verified.sub).toBe("ann");
    expect(verified.access).toEqual([{ type: "repository", name: "a", actions: ["pull"] }]);
  });

  test("embedded jwk, x5c, jku and crit headers are refused even when the signature is valid", async () => {
    const key = await generateTokenKey();
    const base = { alg: key.alg, typ: "JWT", kid: key.kid };
    for (const extra of [{ jwk: { kty: "EC", crv: "P-256", x: "AA", y: "AA" } }, { x5c: ["MIIB"] }, { jku: "https://evil.example/keys" }, { x5u: "https://evil.example/c" }, { crit: ["exp"] }]) {
      expect(await refusal(key, await forge(key, { ...base, ...extra }, claims()))).toContain("is not accepted");
    }
  });

  test("a token signed by a foreign key is refused, whatever kid it claims", async () => {
    const ours = await generateTokenKey();
    const theirs = await generateTokenKey();
    expect(await refusal(ours, await signToken(theirs, claims()))).toContain("not signed with this registry's key");
    expect(await refusal(ours, await forge(theirs, { alg: "ES256", typ: "JWT", kid: ours.kid }, claims()))).toContain("signature does not verify");
  });

  test("alg none, HS256 keyed with the public key, and an algorithm other than the key's are refused", async () => {
    const key = await generateTokenKey();
    const payload = b64(claims());
    expect(await refusal(key, `${b64({ alg: "none", typ: "JWT", kid: key.kid })}.${payload}.`)).toContain("not a compact JWS");
    expect(await refusal(key, `${b64({ alg: "none", typ: "JWT", kid: key.kid })}.${payload}.AA`)).toContain("algorithm must be ES256");
    const header = b64({ alg: "HS256", typ: "JWT", kid: key.kid });
    const pem = await ecPublicPem(key);
    const hs = createHmac("sha256", pem).update(`${header}.${payload}`).digest("base64url");
    expect(await refusal(key, `${header}.${payload}.${hs}`)).toContain("algorithm must be ES256");
    expect(await refusal(key, await forge(key, { alg: "RS256", typ: "JWT", kid: key.kid }, claims()))).toContain("algorithm must be ES256");
  });

  test("wrong issuer or audience, expiry, not-yet-valid, future iat and over-long lifetimes are refused", async () => {
    const key = await generateTokenKey();
    const cases: [Partial<TokenClaims>, string][] = [
      [{ iss: "someone-else" }, "issuer"],
      [{ aud: "another-registry" }, "audience"],
      [{ aud: ["x", "y"] }, "audience"],
      [{ exp: now() - 1 }, "expired"],
      [{ nbf: now() + 600 }, "not valid yet"],
      [{ iat: now() + 600 }, "issued in the future"],
      [{ exp: now() + 86_400 }, "lives longer"],
    ];
    for (const [override, reason] of cases) expect(await refusal(key, await signToken(key, claims(override)))).toContain(reason);
    expect((await verifyToken(key, await signToken(key, claims({ aud: ["x", "idp-registry"] })), expectOk)).sub).toBe("ann");
  });

  test("a tampered payload, garbage and oversized tokens are refused", async () => {
    const key = await generateTokenKey();
    const [h, , s] = (await signToken(key, claims())).split(".");
    expect(await refusal(key, `${h}.${b64(claims({ sub: "admin" }))}.${s}`)).toContain("signature does not verify");
    expect(await refusal(key, "not-a-token")).toContain("not a compact JWS");
    expect(await refusal(key, `${h}.${"A".repeat(20_000)}.${s}`)).toContain("too long");
  });

  test("PEM keys: EC P-256 signs ES256, RSA 2048 signs RS256; other keys are refused", async () => {
    const gen = async (name: string, args: string[]) => {
      const path = join(dir.path, name);
      await run(["openssl", "genpkey", ...args, "-out", path]);
      return path;
    };
    const ec = await loadTokenKey(await gen("ec.pem", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]));
    expect(ec.alg).toBe("ES256");
    const rsa = await loadTokenKey(await gen("rsa.pem", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]));
    expect(rsa.alg).toBe("RS256");
    expect((await verifyToken(rsa, await signToken(rsa, claims()), expectOk)).sub).toBe("ann");
    expect(await refusal(rsa, await signToken(ec, claims()))).toContain("algorithm must be RS256");
    for (const [name, args] of [
      ["ed.pem", ["-algorithm", "ED25519"]],
      ["p384.pem", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]],
      ["rsa1024.pem", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]],
    ] as const) {
      await expect(loadTokenKey(await gen(name, [...args]))).rejects.toBeInstanceOf(InvalidInputError);
    }
    writeFileSync(join(dir.path, "junk.pem"), "not a key");
    await expect(loadTokenKey(join(dir.path, "junk.pem"))).rejects.toThrow("not a PEM private key");
  });
});

/** The registry's public key as PEM: what an attacker would try as an HMAC secret. */
async function ecPublicPem(key: TokenKey): Promise<string> {
  return createPublicKey({ key: key.publicJwk, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
}
