import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { IDP_BIN } from "../../test/helpers/idp.ts";
import { peer } from "../../test/helpers/peers.ts";
import type { Artifact } from "./fixtures.ts";
import type { Invocation } from "./measure.ts";

const EMPTY_CONFIG = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

export type ClientId = "idp" | "idp-layout" | "skopeo" | "oras" | "crane" | "curl" | "bun-floor";

/**
 * One client as the benchmark drives it. `form` says what it reads when pushing and writes
 * when pulling: loose files or an OCI image layout. Each peer is compared with the idp
 * command that does the same job: oras with `idp push`/`idp pull` (files), skopeo and crane
 * with `idp copy` (layouts).
 */
export interface Client {
  id: ClientId;
  form: "files" | "layout";
  /** The commands, as printed under the table. */
  usage: { push: string; pull: string };
  push(host: string, ref: string, artifact: Artifact): Invocation;
  /** `artifact` is what the reference holds (only the curl floor needs it). */
  pull(host: string, ref: string, out: string, artifact: Artifact): Invocation;
}

/** Environment every run gets: a fresh, empty HOME, so no saved credentials or caches. */
export function cleanEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    IDP_HOME: join(home, "idp"),
    NO_COLOR: "1",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
  };
}

/**
 * skopeo run as root keeps its blob-info cache in /var/lib/containers/cache whatever HOME
 * says, and uses it to mount blobs it pushed before from other repositories of the same
 * registry instead of uploading them. Run as nobody it keeps the cache under the fresh
 * XDG_DATA_HOME, so every push really uploads.
 */
function asUnprivileged(cmd: string[]): string[] {
  return process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd] : cmd;
}

export function clients(): Client[] {
  const idp = IDP_BIN;
  const skopeo = peer("skopeo");
  const oras = peer("oras");
  const crane = peer("crane");
  return [
    {
      id: "idp",
      form: "files",
      usage: { push: "idp push HOST/REPO:v1 FILE... --json", pull: "idp pull HOST/REPO:v1 -o DIR --json" },
      push: (host, ref, a) => ({ cmd: [idp, "push", `${host}/${ref}`, ...a.files.map((f) => f.path), "--json"] }),
      pull: (host, ref, out) => ({ cmd: [idp, "pull", `${host}/${ref}`, "-o", out, "--json"] }),
    },
    {
      id: "idp-layout",
      form: "layout",
      usage: { push: "idp copy oci-layout:LAYOUT:v1 HOST/REPO:v1 --json", pull: "idp copy HOST/REPO:v1 oci-layout:DIR:v1 --json" },
      push: (host, ref, a) => ({ cmd: [idp, "copy", `oci-layout:${a.layout}:v1`, `${host}/${ref}`, "--json"] }),
      pull: (host, ref, out) => ({ cmd: [idp, "copy", `${host}/${ref}`, `oci-layout:${out}:v1`, "--json"] }),
    },
    {
      id: "skopeo",
      form: "layout",
      usage: {
        push: "skopeo copy --preserve-digests --dest-tls-verify=false oci:LAYOUT:v1 docker://HOST/REPO:v1 (as nobody when root, fresh blob-info cache)",
        pull: "skopeo copy --preserve-digests --src-tls-verify=false docker://HOST/REPO:v1 oci:DIR:v1",
      },
      push: (host, ref, a) => ({
        cmd: asUnprivileged([skopeo, "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false", `oci:${a.layout}:v1`, `docker://${host}/${ref}`]),
      }),
      pull: (host, ref, out) => ({
        cmd: asUnprivileged([skopeo, "copy", "--quiet", "--preserve-digests", "--src-tls-verify=false", `docker://${host}/${ref}`, `oci:${out}:v1`]),
      }),
    },
    {
      id: "oras",
      form: "files",
      usage: { push: "oras push --plain-http HOST/REPO:v1 FILE... (in the files' directory)", pull: "oras pull --plain-http HOST/REPO:v1 -o DIR" },
      push: (host, ref, a) => ({ cmd: [oras, "push", "--plain-http", `${host}/${ref}`, ...a.files.map((f) => f.name)], cwd: a.dir }),
      pull: (host, ref, out) => ({ cmd: [oras, "pull", "--plain-http", `${host}/${ref}`, "-o", out] }),
    },
    {
      id: "crane",
      form: "layout",
      usage: { push: "crane push --insecure LAYOUT HOST/REPO:v1", pull: "crane pull --insecure --format oci HOST/REPO:v1 DIR" },
      push: (host, ref, a) => ({ cmd: [crane, "push", "--insecure", a.layout, `${host}/${ref}`] }),
      pull: (host, ref, out) => ({ cmd: [crane, "pull", "--insecure", "--format", "oci", `${host}/${ref}`, out] }),
    },
  ];
}

/**
 * Not a peer: plain curl moving the artifact's bytes with the fewest requests (per blob: POST,
 * one streamed PATCH, the closing PUT; then the manifest; a pull is one GET per blob) and
 * checking nothing. Its rate, and the best peer's, show what the registry and loopback
 * allow on this machine: a target above both is out of any client's reach. (curl uploads
 * in 64 KiB writes, so on push a Go client can beat it.)
 */
export function curlClient(): Client {
  const push = `set -eu
base="http://$1"; repo="$2"; blobs="$3/blobs/sha256"; manifest="$4"; shift 4
abs() { case "$1" in http*) printf %s "$1" ;; *) printf %s%s "$base" "$1" ;; esac; }
for digest in "$@"; do
  loc=$(abs "$(curl -sS -o /dev/null -w '%header{location}' -X POST "$base/v2/$repo/blobs/uploads/")")
  loc=$(abs "$(curl -sS -o /dev/null -w '%header{location}' -H Expect: -H 'Content-Type: application/octet-stream' -X PATCH -T "$blobs/\${digest#sha256:}" "$loc")")
  case "$loc" in *'?'*) sep='&' ;; *) sep='?' ;; esac
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$loc\${sep}digest=$digest")
  [ "$code" = 201 ] || { echo "PUT blob $digest: $code" >&2; exit 1; }
done
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$blobs/$manifest" "$base/v2/$repo/manifests/v1")
[ "$code" = 201 ] || { echo "PUT manifest: $code" >&2; exit 1; }
`;
  const pull = `set -eu
host="$1"; repo="$2"; out="$3/blobs/sha256"; shift 3
for digest in "$@"; do curl -sS --fail --create-dirs -o "$out/\${digest#sha256:}" "http://$host/v2/$repo/blobs/$digest"; done
`;
  const repoOf = (ref: string) => ref.slice(0, ref.lastIndexOf(":"));
  return {
    id: "curl",
    form: "layout",
    usage: { push: "curl: per blob POST, PATCH -T BLOB, PUT ?digest=; then PUT the manifest (no checks)", pull: "curl -o FILE per blob (no manifest, no checks)" },
    push: (host, ref, a) => ({ cmd: ["bash", "-c", push, "curl-push", host, repoOf(ref), a.layout, a.manifest.digest.slice(7), EMPTY_CONFIG, ...a.files.map((f) => f.digest)] }),
    pull: (host, ref, out, a) => ({ cmd: ["bash", "-c", pull, "curl-pull", host, repoOf(ref), out, ...a.files.map((f) => f.digest)] }),
  };
}

/**
 * Not a peer: bun-floor.ts compiled like dist/idp, doing the least a Bun program can do per
 * small artifact (see there). Its rate is what the runtime allows a Bun client.
 */
export function bunFloorClient(binary: string): Client {
  const repoOf = (ref: string) => ref.slice(0, ref.lastIndexOf(":"));
  const tagOf = (ref: string) => ref.slice(ref.lastIndexOf(":") + 1);
  return {
    id: "bun-floor",
    form: "files",
    usage: { push: "bun-floor push: POST ?digest= per blob, PUT the manifest (no checks)", pull: "bun-floor pull: GET the manifest and each layer, write it (no checks)" },
    push: (host, ref, a) => ({ cmd: [binary, "push", host, repoOf(ref), tagOf(ref), a.layout] }),
    pull: (host, ref, out) => ({ cmd: [binary, "pull", host, repoOf(ref), tagOf(ref), out] }),
  };
}

/** Checks a pull wrote every file (or blob) of the artifact, whole. */
export function checkPulled(client: Client, out: string, artifact: Artifact): void {
  for (const f of artifact.files) {
    const path = client.form === "files" ? join(out, f.name) : join(out, "blobs", "sha256", f.digest.slice(7));
    if (!existsSync(path) || statSync(path).size !== f.size) throw new Error(`${client.id} pull: ${path} is missing or not ${f.size} bytes`);
  }
}
