import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../helpers/process.ts";

/**
 * TEST TOKEN ISSUER: a small stand-in for a registry's token service (Docker token spec and
 * its OAuth2 form), for Distribution's `auth.token` in tests. It signs real ES256 JWTs with a
 * key whose self-signed certificate Distribution trusts (made by openssl), grants real scopes
 * by a tiny policy, and records what it was asked, so tests can check the client's token flow.
 * It is not an auth server for anything but tests.
 */
export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate Distribution's `rootcertbundle` points at. */
  certPath: string;
  /** Every token request, in order: method, grant, account, scopes asked. */
  requests: { method: string; grant: string; account: string | undefined; scopes: string[] }[];
  /** Seconds tokens live (change it between tests). */
  expiresIn: number;
  stop(): void;
}

export interface IssuerUser {
  password: string;
  /** Repository name prefixes this user may push to (and pull from); "" = all. */
  push: string[];
}

/** Starts the test token issuer; `dir` receives the key and certificate. */
export async function startTokenIssuer(dir: string, users: Record<string, IssuerUser>, options: { anonymousPull?: string[] } = {}): Promise<TokenIssuer> {
  const keyPath = join(dir, "issuer-key.pem");
  const certPath = join(dir, "issuer-cert.pem");
  await run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyPath]);
  const pkcs8 = (await run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", keyPath])).stdout;
  await run(["openssl", "req", "-x509", "-new", "-key", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=idp-test-token-issuer"]);
  const spkiDer = await derOf(["openssl", "pkey", "-in", keyPath, "-pubout", "-outform", "DER"]);
  const kid = libtrustKeyId(spkiDer);
  const key = await crypto.subtle.importKey("pkcs8", pemBody(pkcs8), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const service = "idp-test-registry";
  const issuer = "idp-test-token-issuer";
  const refreshTokens = new Map<string, string>();
  const state: TokenIssuer = {
    realm: "",
    service,
    issuer,
    certPath,
    requests: [],
    expiresIn: 300,
    stop: () => server.stop(true),
  };

  const grant = (account: string | undefined, scopes: string[]) => {
    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of scopes.flatMap((s) => s.split(" ")).filter(Boolean)) {
      const [type, ...rest] = scope.split(":");
      const actions = rest.pop()!.split(",");
      const name = rest.join(":");
      const user = account ? users[account] : undefined;
      const canPush = user?.push.some((p) => name.startsWith(p)) ?? false;
      const canPull = canPush || (options.anonymousPull ?? []).some((p) => name.startsWith(p));
      const allowed = actions.filter((a) => (type === "registry" ? Boolean(user) : a === "pull" ? canPull : canPush));
      if (allowed.length > 0) access.push({ type: type!, name, actions: allowed });
    }
    return access;
  };

  const sign = async (account: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", kid };
    const claims = { iss: issuer, sub: account ?? "", aud: service, exp: now + state.expiresIn, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access: grant(account, scopes) };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(input));
    return `${input}.${b64url(new Uint8Array(signature))}`;
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname !== "/token") return new Response("not found", { status: 404 });
      if (req.method === "GET") {
        const scopes = url.searchParams.getAll("scope");
        let account: string | undefined;
        const auth = req.headers.get("authorization");
        if (auth) {
          const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
          if (!user || users[user]?.password !== pass) return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }, { status: 401 });
          account = user;
        }
        state.requests.push({ method: "GET", grant: auth ? "basic" : "anonymous", account, scopes });
        return Response.json({ token: await sign(account, scopes), expires_in: state.expiresIn, issued_at: new Date().toISOString() });
      }
      if (req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
        const grantType = form.get("grant_type") ?? "";
        let account: string | undefined;
        if (grantType === "password") {
          const user = form.get("username") ?? "";
          if (users[user]?.password !== form.get("password")) return Response.json({ error: "invalid_grant" }, { status: 401 });
          account = user;
        } else if (grantType === "refresh_token") {
          account = refreshTokens.get(form.get("refresh_token") ?? "");
          if (!account) return Response.json({ error: "invalid_grant" }, { status: 401 });
        } else {
          return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
        }
        state.requests.push({ method: "POST", grant: grantType, account, scopes });
        const refresh = crypto.randomUUID();
        refreshTokens.set(refresh, account);
        return Response.json({ access_token: await sign(account, scopes), expires_in: state.expiresIn, refresh_token: refresh });
      }
      return new Response(null, { status: 405 });
    },
  });
  state.realm = `http://127.0.0.1:${server.port}/token`;
  writeFileSync(join(dir, "issuer.json"), JSON.stringify({ realm: state.realm, kid }));
  return state;
}

async function derOf(cmd: string[]): Promise<Uint8Array> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const bytes = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  if ((await proc.exited) !== 0) throw new Error(`${cmd.join(" ")} failed`);
  return bytes;
}

/** Docker libtrust's key id: base32 of the first 240 bits of sha256(SPKI DER), in 4-char groups. */
function libtrustKeyId(spkiDer: Uint8Array): string {
  const hash = new Bun.CryptoHasher("sha256").update(spkiDer).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of hash) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(":");
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"));
}

function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}
