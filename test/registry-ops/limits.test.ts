import { describe, expect, test } from "bun:test";
import { createRegistryApp } from "../../registry/app.ts";
import { MemoryDriver } from "../../registry/storage/memory.ts";
import { RegistryStore } from "../../registry/storage/store.ts";
import { errorCodes, randomContent } from "../helpers/oci.ts";

/** The cap on uploads streaming at once (d-15), in-process on a memory store. */
describe("concurrent upload cap", () => {
  test("past the cap an upload gets 429 with Retry-After; when one finishes the next goes through", async () => {
    const store = new RegistryStore({ driver: new MemoryDriver() });
    const app = createRegistryApp({ store, maxConcurrentUploads: 2 });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const releases: (() => void)[] = [];
      const slow = async () => {
        const post = await fetch(`${base}/v2/cap/x/blobs/uploads/`, { method: "POST" });
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        releases.push(release);
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new Uint8Array(1000));
            await gate;
            controller.close();
          },
        });
        return fetch(new URL(post.headers.get("location")!, base), { method: "PATCH", body });
      };
      const first = slow();
      const second = slow();
      while (releases.length < 2) await Bun.sleep(5);
      await Bun.sleep(50);
      const blob = randomContent(100);
      const refused = await fetch(`${base}/v2/cap/x/blobs/uploads/?digest=${blob.digest}`, { method: "POST", body: blob.bytes });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await errorCodes(refused)).toEqual(["TOOMANYREQUESTS"]);
      expect((await fetch(`${base}/v2/cap/x/blobs/uploads/`, { method: "POST" })).status).toBe(202);
      releases[0]!();
      expect((await first).status).toBe(202);
      const accepted = await fetch(`${base}/v2/cap/x/blobs/uploads/?digest=${blob.digest}`, { method: "POST", body: blob.bytes });
      expect(accepted.status).toBe(201);
      releases[1]!();
      expect((await second).status).toBe(202);
    } finally {
      await server.stop(true);
    }
  });
});
