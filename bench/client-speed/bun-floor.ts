/**
 * Not a peer: the least a compiled Bun program can do to push or pull one small artifact,
 * compiled the way dist/idp is. It shows what the runtime itself costs per command (start-up
 * and Bun's fetch), so the small-artifact rows can be read against it: idp cannot beat this
 * floor while it is a Bun program. Fewest requests, no checks, no config, no cache.
 *
 *   bun-floor push HOST REPO TAG LAYOUT   one POST ?digest= per blob (PUT when the registry
 *                                         opens a session instead), then PUT the manifest
 *   bun-floor pull HOST REPO TAG OUT      GET the manifest, GET each layer, write it by title
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [verb, host, repo, tag, dir] = process.argv.slice(2) as [string, string, string, string, string];
const base = `http://${host}/v2/${repo}`;
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

interface Manifest {
  config: { digest: string };
  layers: { digest: string; annotations?: Record<string, string> }[];
}

function fail(what: string, res: Response): never {
  process.stderr.write(`${what}: ${res.status}\n`);
  process.exit(1);
}

if (verb === "push") {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const blob = (digest: string) => readFileSync(join(dir, "blobs", "sha256", digest.slice(7)));
  const manifestBytes = blob(index.manifests[0]!.digest);
  const manifest = JSON.parse(manifestBytes.toString()) as Manifest;
  for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const bytes = blob(digest);
    const posted = await fetch(`${base}/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes, headers: { "Content-Type": "application/octet-stream" } });
    if (posted.status === 201) continue;
    if (posted.status !== 202) fail("POST blob", posted);
    const location = new URL(posted.headers.get("location")!, base);
    location.searchParams.set("digest", digest);
    const put = await fetch(location, { method: "PUT", body: bytes, headers: { "Content-Type": "application/octet-stream" } });
    if (put.status !== 201) fail("PUT blob", put);
  }
  const put = await fetch(`${base}/manifests/${tag}`, { method: "PUT", body: manifestBytes, headers: { "Content-Type": MANIFEST } });
  if (put.status !== 201) fail("PUT manifest", put);
} else {
  const res = await fetch(`${base}/manifests/${tag}`, { headers: { Accept: MANIFEST } });
  if (res.status !== 200) fail("GET manifest", res);
  const manifest = (await res.json()) as Manifest;
  mkdirSync(dir, { recursive: true });
  for (const layer of manifest.layers) {
    const got = await fetch(`${base}/blobs/${layer.digest}`);
    if (got.status !== 200) fail("GET blob", got);
    writeFileSync(join(dir, layer.annotations?.["org.opencontainers.image.title"] ?? layer.digest.slice(7)), new Uint8Array(await got.arrayBuffer()));
  }
}
