import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { NetworkError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { anonymous, openRegistry, openRepository, staticCredentials } from "../../src/remote/index.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { run } from "../helpers/process.ts";
import { startFaultProxy, type FaultProxy } from "./helpers/fault-proxy.ts";

describe("transport: TLS, redirects, proxies", () => {
  let server: IdpServer;
  let dir: { path: string; remove(): void };
  beforeAll(async () => {
    server = await startIdp();
    dir = tempDir();
  });
  afterAll(async () => {
    await server?.stop();
    dir?.remove();
  });

  describe("HTTPS with a private CA", () => {
    let front: FaultProxy;
    let ca: string;
    beforeAll(async () => {
      ca = join(dir.path, "ca.pem");
      const key = join(dir.path, "key.pem");
      await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", ca, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
      front = startFaultProxy(server.url, { tls: { cert: await Bun.file(ca).text(), key: await Bun.file(key).text() } });
    });
    afterAll(() => front?.stop());

    test("verified by default: an unknown CA fails with a hint, caFile makes it work", async () => {
      const plain = await openRegistry(front.host, { credentials: anonymous, plainHttp: false, retries: 0 });
      let error: unknown;
      try {
        await plain.ping();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).hint).toContain("--ca-file");
      const trusted = await openRegistry(front.host, { credentials: anonymous, plainHttp: false, caFile: ca });
      expect((await trusted.ping()).apiVersion).toBe("registry/2.0");
    });

    test("insecure skips verification", async () => {
      const repo = await openRepository({ registry: front.host, repository: "tls/app" }, { credentials: anonymous, plainHttp: false, insecure: true });
      const c = randomContent(5000);
      const desc = { mediaType: MediaType.ociLayerGzip, digest: c.digest, size: c.size };
      await repo.push(desc, c.bytes);
      expect(digestOf(new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer()))).toBe(desc.digest);
    });
  });

  test("a redirect to another host (pre-signed storage URL) never carries Authorization", async () => {
    const blob = randomContent(3000);
    const seenByStorage: (string | null)[] = [];
    const storage = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        seenByStorage.push(req.headers.get("authorization"));
        return new Response(blob.bytes, { headers: { "Content-Length": String(blob.size) } });
      },
    });
    const seenByRegistry: { path: string; auth: string | null }[] = [];
    const registry = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const url = new URL(req.url);
        const auth = req.headers.get("authorization");
        seenByRegistry.push({ path: url.pathname, auth });
        if (auth !== `Basic ${Buffer.from("u:pw-redirect-test").toString("base64")}`) {
          return new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="test"' } });
        }
        return new Response(null, { status: 307, headers: { Location: `http://localhost:${storage.port}/bucket/object?X-Amz-Signature=s` } });
      },
    });
    try {
      const repo = await openRepository({ registry: `127.0.0.1:${registry.port}`, repository: "r/x" }, { credentials: staticCredentials({ username: "u", password: "pw-redirect-test" }) });
      const desc = { mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size };
      expect(digestOf(new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer()))).toBe(blob.digest);
      expect(seenByStorage).toEqual([null]);
      expect(seenByRegistry.at(-1)?.auth).toStartWith("Basic ");
    } finally {
      storage.stop(true);
      registry.stop(true);
    }
  });

  test("an upload Location on another host never receives Authorization", async () => {
    const seenByStorage: (string | null)[] = [];
    const storage = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        seenByStorage.push(req.headers.get("authorization"));
        await req.arrayBuffer();
        return new Response(null, { status: 201, headers: { Location: "/done" } });
      },
    });
    const registry = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        if (req.headers.get("authorization") === null) return new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="t"' } });
        if (req.method === "HEAD") return new Response(null, { status: 404 });
        return new Response(null, { status: 202, headers: { Location: `http://localhost:${storage.port}/upload/8d3c3a4e-7a57-4b5e-9e34-3f7d1c6a1b2f?sig=x` } });
      },
    });
    try {
      const repo = await openRepository({ registry: `127.0.0.1:${registry.port}`, repository: "r/x" }, { credentials: staticCredentials({ username: "u", password: "pw-location-test" }) });
      const c = randomContent(100);
      await repo.push({ mediaType: MediaType.ociLayerGzip, digest: c.digest, size: c.size }, c.bytes);
      expect(seenByStorage).toEqual([null]);
    } finally {
      storage.stop(true);
      registry.stop(true);
    }
  });

  test("HTTP_PROXY is used for non-loopback hosts, NO_PROXY and loopback go direct", async () => {
    const requests: string[] = [];
    const forward = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const url = new URL(req.url);
        requests.push(`${req.method} ${url.host}${url.pathname}`);
        const headers = new Headers(req.headers);
        headers.delete("host");
        const res = await fetch(server.url + url.pathname + url.search, { method: req.method, headers, body: req.body, redirect: "manual", proxy: false } as BunFetchRequestInit);
        return new Response(res.body, { status: res.status, headers: res.headers });
      },
    });
    try {
      const env = { HTTP_PROXY: `http://127.0.0.1:${forward.port}` };
      const viaProxy = await openRepository({ registry: "registry.invalid:5000", repository: "proxied/app" }, { credentials: anonymous, plainHttp: true, insecure: true, env });
      const c = randomContent(2000);
      const desc = { mediaType: MediaType.ociLayerGzip, digest: c.digest, size: c.size };
      await viaProxy.push(desc, c.bytes);
      expect(await viaProxy.exists(desc)).toBe(true);
      expect(requests.some((r) => r.startsWith("HEAD registry.invalid:5000/v2/proxied/app/blobs/"))).toBe(true);

      const count = requests.length;
      const bypass = await openRegistry("registry.invalid:5000", { credentials: anonymous, plainHttp: true, insecure: true, retries: 0, env: { ...env, NO_PROXY: "registry.invalid" } });
      await expect(bypass.ping()).rejects.toBeInstanceOf(NetworkError);
      const loopback = await openRegistry(server.host, { credentials: anonymous, env });
      await loopback.ping();
      expect(requests.length).toBe(count);
    } finally {
      forward.stop(true);
    }
  });

  test("Bun 1.4.5 keeps Content-Length and Docker-Content-Digest on HEAD (resolve needs no GET)", async () => {
    const proxy = startFaultProxy(server.url);
    try {
      const repo = await openRepository({ registry: proxy.host, repository: "head/app" }, { credentials: anonymous });
      const config = randomContent(10);
      await repo.push({ mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, config.bytes);
      const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, layers: [] }));
      const desc = { mediaType: MediaType.ociManifest, digest: digestOf(manifest), size: manifest.byteLength };
      await repo.pushManifest(desc, manifest, "v1");
      const direct = await openRepository({ registry: server.host, repository: "head/app" }, { credentials: anonymous });
      expect(await direct.resolve("v1")).toEqual(desc);
      const res = await fetch(`${server.url}/v2/head/app/manifests/v1`, { method: "HEAD", headers: { Accept: MediaType.ociManifest } });
      expect(res.headers.get("content-length")).toBe(String(manifest.byteLength));
      expect(res.headers.get("docker-content-digest")).toBe(desc.digest);
    } finally {
      proxy.stop();
    }
  });
});
