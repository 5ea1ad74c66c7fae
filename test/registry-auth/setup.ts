import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRegistryApp } from "../../registry/app.ts";
import { createAuthenticator } from "../../registry/auth/index.ts";
import { loadServeConfig } from "../../registry/config.ts";
import { MemoryDriver } from "../../registry/storage/memory.ts";
import { RegistryStore } from "../../registry/storage/store.ts";
import { tempDir } from "../helpers/idp.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";

/** Writes an htpasswd file of bcrypt lines made by the real htpasswd tool (cost 5: fast tests). */
export async function writeHtpasswd(dir: string, users: Record<string, string>): Promise<string> {
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    lines.push((await run([peer("htpasswd"), "-nbB", "-C", "5", user, password])).stdout.trim());
  }
  const path = join(dir, "htpasswd");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

export interface AuthRegistry {
  url: string;
  store: RegistryStore;
  stop(): Promise<void>;
}

/**
 * The registry app with authentication, in this process on a memory store and a real socket
 * (so client addresses, and with them rate limits, are real). `config` is what a YAML file
 * would hold, by dotted path (`auth.type`, `access`, …).
 */
export async function startAuthRegistry(users: Record<string, string>, config: Record<string, unknown> = {}): Promise<AuthRegistry> {
  const dir = tempDir("idp-auth-");
  const htpasswd = await writeHtpasswd(dir.path, users);
  const loaded = await loadServeConfig({ env: {}, flags: { "auth.htpasswd": htpasswd, ...config } });
  const auth = await createAuthenticator(loaded);
  const store = new RegistryStore({ driver: new MemoryDriver() });
  const app = createRegistryApp({ store, auth, readOnly: loaded.readOnly, onInternalError: (error) => console.error(error) });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
  return {
    url: `http://127.0.0.1:${server.port}`,
    store,
    async stop() {
      await server.stop(true);
      dir.remove();
    },
  };
}

/** `Authorization: Basic …` for a user and password. */
export function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** The parameters of a `WWW-Authenticate: Bearer k="v",…` challenge. */
export function challengeParams(header: string | null): Record<string, string> {
  if (!header) throw new Error("no WWW-Authenticate header");
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** Pushes one blob (POST, then monolithic PUT) with `headers`; returns the final status. */
export async function pushBlobAs(base: string, repo: string, blob: { bytes: Uint8Array<ArrayBuffer>; digest: string }, headers: Record<string, string>): Promise<number> {
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST", headers });
  if (post.status !== 202) return post.status;
  const location = new URL(post.headers.get("location")!, base);
  location.searchParams.set("digest", blob.digest);
  const put = await fetch(location, { method: "PUT", body: blob.bytes, headers: { ...headers, "Content-Type": "application/octet-stream" } });
  return put.status;
}

/** Pushes an image's blobs and manifest with `headers`; returns the manifest PUT's status. */
export async function pushImageAs(
  base: string,
  repo: string,
  reference: string,
  image: { config: { bytes: Uint8Array<ArrayBuffer>; digest: string }; layers: { bytes: Uint8Array<ArrayBuffer>; digest: string }[]; manifest: { bytes: Uint8Array<ArrayBuffer> }; mediaType: string },
  headers: Record<string, string>,
): Promise<number> {
  for (const blob of [image.config, ...image.layers]) {
    const status = await pushBlobAs(base, repo, blob, headers);
    if (status !== 201) return status;
  }
  const res = await fetch(`${base}/v2/${repo}/manifests/${reference}`, { method: "PUT", body: image.manifest.bytes, headers: { ...headers, "Content-Type": image.mediaType } });
  return res.status;
}
