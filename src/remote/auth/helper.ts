import * as v from "valibot";
import { AuthError } from "../../errors/index.ts";
import type { Credential } from "./credentials.ts";

const HelperAnswerSchema = v.looseObject({
  ServerURL: v.optional(v.string()),
  Username: v.optional(v.string()),
  Secret: v.string(),
});

/** Docker's convention: this user name means the secret is an identity (refresh) token. */
const TOKEN_USER = "<token>";

/**
 * Runs the Docker credential-helper protocol: `docker-credential-<name> <action>` with the
 * request on stdin and the answer on stdout. The helper's own output is never put into an
 * error message (a misbehaving helper could echo the secret); only its name and exit code.
 */
async function runHelper(name: string, action: "get" | "store" | "erase", input: string, env: Record<string, string | undefined>): Promise<{ code: number; stdout: string }> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new AuthError(`invalid credential helper name ${JSON.stringify(name.slice(0, 40))}`);
  const program = `docker-credential-${name}`;
  let proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  try {
    proc = Bun.spawn([program, action], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: env as Record<string, string> });
  } catch (error) {
    throw new AuthError(`credential helper ${program} could not be started`, {
      cause: error,
      hint: `install ${program} or remove it from the docker config (credsStore/credHelpers)`,
    });
  }
  proc.stdin.write(input);
  await proc.stdin.end();
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited, new Response(proc.stderr).text()]);
  return { code, stdout };
}

/**
 * Asks a credential helper for the credentials of `serverUrl`. Undefined when the helper
 * knows none ("credentials not found"), AuthError when it fails otherwise.
 *
 * @example await helperGet("pass", "ghcr.io") // { username: "me", password: "…" }
 */
export async function helperGet(name: string, serverUrl: string, env: Record<string, string | undefined> = process.env): Promise<Credential | undefined> {
  const { code, stdout } = await runHelper(name, "get", serverUrl, env);
  if (code !== 0) {
    if (/credentials not found/i.test(stdout)) return undefined;
    throw new AuthError(`credential helper docker-credential-${name} failed (exit ${code}) for ${serverUrl}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new AuthError(`credential helper docker-credential-${name} answered something that is not JSON`);
  }
  const answer = v.safeParse(HelperAnswerSchema, parsed);
  if (!answer.success) throw new AuthError(`credential helper docker-credential-${name} answered without a Secret`);
  const { Username: username = "", Secret: secret } = answer.output;
  if (!secret) return undefined;
  return username === TOKEN_USER ? { identityToken: secret } : { username, password: secret };
}

/** Stores credentials with a helper (`idp login` when the docker config names one). */
export async function helperStore(name: string, serverUrl: string, credential: Credential, env: Record<string, string | undefined> = process.env): Promise<void> {
  const body = credential.identityToken
    ? { ServerURL: serverUrl, Username: TOKEN_USER, Secret: credential.identityToken }
    : { ServerURL: serverUrl, Username: credential.username ?? "", Secret: credential.password ?? "" };
  const { code } = await runHelper(name, "store", JSON.stringify(body), env);
  if (code !== 0) throw new AuthError(`credential helper docker-credential-${name} could not store credentials for ${serverUrl} (exit ${code})`);
}

/** Erases a helper's credentials; "not found" counts as done. */
export async function helperErase(name: string, serverUrl: string, env: Record<string, string | undefined> = process.env): Promise<void> {
  const { code, stdout } = await runHelper(name, "erase", serverUrl, env);
  if (code !== 0 && !/not found/i.test(stdout)) {
    throw new AuthError(`credential helper docker-credential-${name} could not erase credentials for ${serverUrl} (exit ${code})`);
  }
}
