import { describe, expect, test } from "bun:test";
import { OCI_ENV } from "../../src/config/env.ts";
import { PROVIDERS } from "../../src/providers/catalog.ts";
import { PROVIDER_KINDS, RegistryEntrySchema, RegistriesFileSchema } from "../../src/registries/schema.ts";

/** docs/registries.md stays true to the code: every variable, provider and field is in it. */
const docs = await Bun.file(new URL("../../docs/registries.md", import.meta.url)).text();
const row = (start: string) => docs.split("\n").find((l) => l.startsWith(start));

describe("docs/registries.md", () => {
  test("the environment table has every variable, its legacy spelling and its default", () => {
    for (const variable of OCI_ENV) {
      const line = row(`| \`${variable.name}\``);
      expect(line).toBeDefined();
      expect(line).toContain(`\`${variable.legacy}\``);
    }
  });

  test("the provider table has a row per provider, saying whether a push creates the repository", () => {
    expect(PROVIDERS.map((p) => p.kind).sort()).toEqual([...PROVIDER_KINDS].sort());
    for (const provider of PROVIDERS) {
      const line = row(`| \`${provider.kind}\``);
      expect(line).toBeDefined();
      const cells = line!.split("|").map((c) => c.trim());
      expect(cells[7]!.startsWith(provider.documented.createsRepositoryOnPush ? "yes" : "no")).toBe(true);
    }
  });

  test("the registries.yaml reference names every field", () => {
    for (const field of Object.keys(RegistryEntrySchema.entries)) expect(docs).toContain(`\`registries.NAME.${field}\``);
    for (const field of Object.keys(RegistriesFileSchema.entries).filter((f) => f !== "registries")) expect(docs).toContain(`| \`${field}`);
  });
});
