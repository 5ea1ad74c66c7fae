import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDistribution } from "../../helpers/distribution.ts";
import { tempDir, type RegistryUnderTest } from "../../helpers/idp.ts";
import { peer } from "../../helpers/peers.ts";
import { run } from "../../helpers/process.ts";
import { startTokenIssuer, type TokenIssuer } from "./token-issuer.ts";

/** Test users of the authenticated registries (not secrets: throwaway test values). */
export const ALICE = { username: "alice", password: "alice-Secret-9f3b" };
export const BOB = { username: "bob", password: "bob-Secret-71ac" };

/** Distribution 2.8 with htpasswd (bcrypt) auth for alice and bob. */
export async function startHtpasswdDistribution(): Promise<RegistryUnderTest & { cleanup(): void }> {
  const dir = tempDir("idp-htpasswd-");
  const lines: string[] = [];
  for (const user of [ALICE, BOB]) {
    lines.push((await run([peer("htpasswd"), "-Bbn", user.username, user.password])).stdout.trim());
  }
  const file = join(dir.path, "htpasswd");
  writeFileSync(file, `${lines.join("\n")}\n`);
  const reg = await startDistribution({ extraConfig: ["auth:", "  htpasswd:", "    realm: idp-test", `    path: ${file}`].join("\n") });
  return { ...reg, cleanup: dir.remove, stop: async () => { await reg.stop(); dir.remove(); } };
}

/**
 * Distribution 2.8 with token auth from the test token issuer: alice may push anywhere,
 * bob only under `bob/`, anyone may pull `public/`.
 */
export async function startTokenDistribution(): Promise<RegistryUnderTest & { issuer: TokenIssuer }> {
  const dir = tempDir("idp-token-");
  const issuer = await startTokenIssuer(
    dir.path,
    { [ALICE.username]: { password: ALICE.password, push: [""] }, [BOB.username]: { password: BOB.password, push: ["bob/"] } },
    { anonymousPull: ["public/"] },
  );
  const reg = await startDistribution({
    extraConfig: ["auth:", "  token:", `    realm: ${issuer.realm}`, `    service: ${issuer.service}`, `    issuer: ${issuer.issuer}`, `    rootcertbundle: ${issuer.certPath}`].join("\n"),
  });
  return {
    ...reg,
    issuer,
    stop: async () => {
      await reg.stop();
      issuer.stop();
      dir.remove();
    },
  };
}
