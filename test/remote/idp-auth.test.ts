import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuthError } from "../../src/errors/index.ts";
import { digestOf } from "../../src/oci/digest.ts";
import { MediaType } from "../../src/oci/mediatypes.ts";
import { anonymous, openRegistry, openRepository, staticCredentials } from "../../src/remote/index.ts";
import { startIdp, tempDir, type IdpServer } from "../helpers/idp.ts";
import { randomContent } from "../helpers/oci.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";
import { ALICE } from "./helpers/registries.ts";

/** The client against `idp serve` with its own authentication: Basic, and its token service. */
for (const type of ["basic", "token"] as const) {
  describe(`idp serve with --auth ${type}`, () => {
    let server: IdpServer;
    let dir: { path: string; remove(): void };
    beforeAll(async () => {
      dir = tempDir();
      const file = join(dir.path, "htpasswd");
      writeFileSync(file, (await run([peer("htpasswd"), "-Bbn", ALICE.username, ALICE.password])).stdout);
      server = await startIdp({ args: ["--htpasswd", file, "--auth", type] });
    });
    afterAll(async () => {
      await server?.stop();
      dir?.remove();
    });

    test("the right password pushes and pulls a chunked blob", async () => {
      const repo = await openRepository({ registry: server.host, repository: "auth/app" }, { credentials: staticCredentials(ALICE) });
      const c = randomContent(12 * 1024 * 1024);
      const desc = { mediaType: MediaType.ociLayerGzip, digest: c.digest, size: c.size };
      await repo.push(desc, new Blob([c.bytes]).stream());
      expect(digestOf(new Uint8Array(await new Response(await repo.fetch(desc)).arrayBuffer()))).toBe(desc.digest);
    });

    test("wrong or missing credentials are AuthError", async () => {
      const wrong = await openRegistry(server.host, { credentials: staticCredentials({ username: "alice", password: "not-it-3c1f" }), retries: 0 });
      await expect(wrong.ping()).rejects.toBeInstanceOf(AuthError);
      const none = await openRepository({ registry: server.host, repository: "auth/app" }, { credentials: anonymous, retries: 0 });
      await expect(none.exists({ mediaType: MediaType.ociLayerGzip, digest: digestOf("x"), size: 1 })).rejects.toBeInstanceOf(AuthError);
    });
  });
}
