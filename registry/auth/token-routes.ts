import { Hono, type Context } from "hono";
import { RegistryError } from "../errors.ts";
import { clientAddress } from "../middleware/address.ts";
import type { RegistryMetrics } from "../ops/metrics.ts";
import type { RegistryEnv } from "../routes/context.ts";
import { ANONYMOUS, type Principal } from "./access.ts";
import { isRefusal, type Authenticator, type Refusal } from "./authenticator.ts";
import { parseScopes, type Scope } from "./scope.ts";

/** Largest form body accepted on POST /auth/token. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The token endpoint of the Docker token flow, served by idp itself at `/auth/token`:
 *
 * - `GET /auth/token?service=…&scope=…` with optional Basic credentials (the Docker token
 *   spec; what docker, podman, skopeo, oras and crane send);
 * - `POST /auth/token` with an OAuth2 form, `grant_type=password` (what containerd tries
 *   first); `refresh_token` grants are not offered (400), so clients fall back to GET and
 *   no long-lived credential is ever handed out (d-14).
 *
 * Every request spends from the caller address's budget (429 with Retry-After past it);
 * failed passwords also spend from the failed sign-in budget. Without credentials the token
 * carries what anonymous clients may do, possibly nothing.
 *
 * @example app.route("/", tokenRoutes(auth, metrics));
 */
export function tokenRoutes(auth: Authenticator, metrics?: RegistryMetrics): Hono<RegistryEnv> {
  const app = new Hono<RegistryEnv>();

  const answer = async (c: Context<RegistryEnv>, who: Principal | Refusal, params: { service?: string | undefined; scopes: string[] }) => {
    if (isRefusal(who)) {
      metrics?.signIns.inc([who.kind === "rate-limited" ? "rate_limited" : "failed"]);
      if (who.kind === "rate-limited") throw tooMany(who.retryAfterSeconds);
      throw new RegistryError("UNAUTHORIZED", `sign-in failed: ${who.reason}`, { headers: { "WWW-Authenticate": 'Basic realm="idp token service", charset="UTF-8"' } });
    }
    if (who.user !== undefined) metrics?.signIns.inc(["ok"]);
    if (params.service !== undefined && params.service !== auth.token.service) {
      throw new RegistryError("UNSUPPORTED", `this token service is for service ${JSON.stringify(auth.token.service)}, not ${JSON.stringify(params.service.slice(0, 100))}`, { status: 400 });
    }
    let scopes: Scope[];
    try {
      scopes = parseScopes(params.scopes);
    } catch (error) {
      throw new RegistryError("UNSUPPORTED", (error as Error).message, { status: 400 });
    }
    const issued = await auth.issue(who, scopes);
    metrics?.tokens.inc();
    return c.json(issued, 200, { "Cache-Control": "no-store", Pragma: "no-cache" });
  };

  app.get("/auth/token", async (c) => {
    const address = spend(auth, c);
    const header = c.req.header("authorization");
    let who: Principal | Refusal = ANONYMOUS;
    if (header) {
      const space = header.indexOf(" ");
      if (header.slice(0, space).toLowerCase() !== "basic") {
        throw new RegistryError("UNAUTHORIZED", "the token endpoint takes Basic credentials", { headers: { "WWW-Authenticate": 'Basic realm="idp token service"' } });
      }
      who = await auth.checkBasic(header.slice(space + 1).trim(), address);
    }
    return answer(c, who, { service: c.req.query("service"), scopes: c.req.queries("scope") ?? [] });
  });

  app.post("/auth/token", async (c) => {
    const address = spend(auth, c);
    const form = await readForm(c.req.raw);
    const grant = form.get("grant_type");
    if (grant !== "password") {
      throw new RegistryError("UNSUPPORTED", `grant_type ${JSON.stringify((grant ?? "").slice(0, 40))} is not supported; use password, or GET with Basic credentials`, { status: 400 });
    }
    const who = await auth.checkPassword(form.get("username") ?? "", form.get("password") ?? "", address);
    return answer(c, who, { service: form.get("service") ?? undefined, scopes: form.getAll("scope") });
  });

  return app;
}

/** Spends one token request of the caller's budget, or answers 429. */
function spend(auth: Authenticator, c: Context<RegistryEnv>): string {
  const address = clientAddress(c);
  const verdict = auth.tokenRequests.take(address);
  if (!verdict.ok) throw tooMany(verdict.retryAfterSeconds);
  return address;
}

function tooMany(retryAfterSeconds: number): RegistryError {
  return new RegistryError("TOOMANYREQUESTS", "too many token requests from this address; wait before trying again", {
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new RegistryError("UNSUPPORTED", "POST /auth/token takes an application/x-www-form-urlencoded form", { status: 400 });
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_FORM_BYTES) throw new RegistryError("UNSUPPORTED", "token request form is too large", { status: 413 });
  let text = "";
  if (request.body) {
    const decoder = new TextDecoder();
    for await (const chunk of request.body) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > MAX_FORM_BYTES) throw new RegistryError("UNSUPPORTED", "token request form is too large", { status: 413 });
    }
  }
  return new URLSearchParams(text);
}
