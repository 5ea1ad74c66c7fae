import { describe, expect, test } from "bun:test";
import { createRegistryApp } from "../../registry/app.ts";
import { MemoryDriver } from "../../registry/storage/memory.ts";
import { RegistryStore, type RegistryStoreOptions } from "../../registry/storage/store.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { json, makeImage, type Content } from "../helpers/oci.ts";

/**
 * Registry behaviour that needs a non-default configuration, tested in-process through
 * `app.request` (no sockets): strict references, and the limits.
 */
function app(options: Partial<RegistryStoreOptions> = {}) {
  const store = new RegistryStore({ driver: new MemoryDriver(), ...options });
  return createRegistryApp({ store });
}

async function pushBlob(a: ReturnType<typeof app>, repo: string, blob: Content) {
  const res = await a.request(`/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { method: "POST", body: blob.bytes });
  expect(res.status).toBe(201);
}

describe("strict references", () => {
  test("refuse a manifest whose layer or config is missing, with MANIFEST_BLOB_UNKNOWN", async () => {
    const a = app({ strictReferences: true });
    const image = makeImage();
    await pushBlob(a, "s/r", image.config);
    const res = await a.request("/v2/s/r/manifests/v1", { method: "PUT", body: image.manifest.bytes, headers: { "Content-Type": image.mediaType } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { code: string; detail: { digest: string } }[] };
    expect(body.errors[0]!.code).toBe("MANIFEST_BLOB_UNKNOWN");
    expect(body.errors[0]!.detail.digest).toBe(image.layers[0]!.digest);
    await pushBlob(a, "s/r", image.layers[0]!);
    const ok = await a.request("/v2/s/r/manifests/v1", { method: "PUT", body: image.manifest.bytes, headers: { "Content-Type": image.mediaType } });
    expect(ok.status).toBe(201);
  });

  test("refuse an index whose child manifest is missing; accept a missing subject and non-distributable layers", async () => {
    const a = app({ strictReferences: true });
    const child = makeImage();
    const index = json({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: child.manifest.digest, size: child.manifest.size }],
    });
    const res = await a.request("/v2/s/i/manifests/v1", { method: "PUT", body: index.bytes, headers: { "Content-Type": MediaType.ociIndex } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("MANIFEST_BLOB_UNKNOWN");

    const config = json({});
    await pushBlob(a, "s/i", config);
    const foreign = json({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
      layers: [{ mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", digest: digestOf("elsewhere"), size: 9, urls: ["https://example.com/l"] }],
      subject: { mediaType: MediaType.ociManifest, digest: digestOf("not pushed"), size: 10 },
    });
    const ok = await a.request(`/v2/s/i/manifests/${foreign.digest}`, { method: "PUT", body: foreign.bytes, headers: { "Content-Type": MediaType.ociManifest } });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("oci-subject")).toBe(digestOf("not pushed"));
  });

  test("by default, sparse manifests are accepted (the spec allows it; partial mirrors need it)", async () => {
    const a = app();
    const image = makeImage();
    const res = await a.request("/v2/s/sparse/manifests/v1", { method: "PUT", body: image.manifest.bytes, headers: { "Content-Type": image.mediaType } });
    expect(res.status).toBe(201);
  });
});

describe("limits", () => {
  test("a configured blob limit refuses bigger uploads with 413 SIZE_INVALID", async () => {
    const a = app({ maxBlobBytes: 1000 });
    const big = new Uint8Array(1001);
    const res = await a.request(`/v2/l/b/blobs/uploads/?digest=${digestOf(big)}`, { method: "POST", body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("SIZE_INVALID");
    const small = new Uint8Array(1000);
    expect((await a.request(`/v2/l/b/blobs/uploads/?digest=${digestOf(small)}`, { method: "POST", body: small })).status).toBe(201);
  });

  test("a storage limit refuses uploads and manifests that would pass it, with 413 DENIED", async () => {
    const a = app({ maxStorageBytes: 5000 });
    const first = crypto.getRandomValues(new Uint8Array(3000));
    expect((await a.request(`/v2/l/q/blobs/uploads/?digest=${digestOf(first)}`, { method: "POST", body: first })).status).toBe(201);
    const second = crypto.getRandomValues(new Uint8Array(3000));
    const refused = await a.request(`/v2/l/q/blobs/uploads/?digest=${digestOf(second)}`, { method: "POST", body: second });
    expect(refused.status).toBe(413);
    const body = (await refused.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe("DENIED");
    expect(body.errors[0]!.message).toContain("storage limit of 4.9 KiB is reached");
    const small = crypto.getRandomValues(new Uint8Array(1900));
    expect((await a.request(`/v2/l/q/blobs/uploads/?digest=${digestOf(small)}`, { method: "POST", body: small })).status).toBe(201);
    const image = makeImage({ layerSize: 10 });
    const manifest = await a.request("/v2/l/q/manifests/v1", { method: "PUT", body: image.manifest.bytes, headers: { "Content-Type": image.mediaType } });
    expect(manifest.status).toBe(413);
  });

  test("a configured manifest limit answers 413", async () => {
    const a = app({ maxManifestBytes: 100 });
    const image = makeImage();
    const res = await a.request("/v2/l/m/manifests/v1", { method: "PUT", body: image.manifest.bytes, headers: { "Content-Type": image.mediaType } });
    expect(res.status).toBe(413);
  });

  test("unknown endpoints are a JSON 404", async () => {
    const res = await app().request("/v2/a/b/unknown");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("UNSUPPORTED");
  });
});

describe("monolithic uploads", () => {
  test("a POST with ?digest= keeps no session: nothing in uploads/ after success or a wrong digest", async () => {
    const driver = new MemoryDriver();
    const writes: string[] = [];
    const put = driver.put.bind(driver);
    driver.put = async (path, data) => {
      writes.push(path);
      return put(path, data);
    };
    const store = new RegistryStore({ driver });
    const a = createRegistryApp({ store });
    const blob = crypto.getRandomValues(new Uint8Array(5000));
    expect((await a.request(`/v2/m/o/blobs/uploads/?digest=${digestOf(blob)}`, { method: "POST", body: blob })).status).toBe(201);
    const wrong = await a.request(`/v2/m/o/blobs/uploads/?digest=${digestOf("other")}`, { method: "POST", body: blob });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("DIGEST_INVALID");
    // No session state was written down, and no session is left.
    expect(writes.filter((path) => path.startsWith("uploads/"))).toEqual([]);
    expect(await store.listUploads()).toEqual([]);
    expect((await a.request(`/v2/m/o/blobs/${digestOf(blob)}`)).status).toBe(200);
  });
});
