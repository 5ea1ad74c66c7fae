import { describe, expect, test } from "bun:test";
import { cac } from "cac";
import { COMMANDS } from "../../src/cli/commands/index.ts";
import { join } from "node:path";

const ENTRY = join(import.meta.dir, "../../src/cli/entry.ts");

/**
 * main.ts registers only the commands whose first word argv names (start-up time), so each
 * entry's `words` must be exactly the first words of what its function registers.
 */
describe("command registration", () => {
  test("each entry's words are the first words of the commands it registers", async () => {
    for (const entry of COMMANDS) {
      const cli = cac("idp");
      const register = await entry.load();
      register(cli);
      const first = [...new Set(cli.commands.map((c) => c.name.split(" ")[0]!))].sort();
      expect({ register: register.name, words: first }).toEqual({ register: register.name, words: [...entry.words].sort() });
    }
  });

  test("no two entries register the same command name", async () => {
    const registers = await Promise.all(COMMANDS.map((entry) => entry.load()));
    const names = registers.flatMap((register) => {
      const cli = cac("idp");
      register(cli);
      return cli.commands.map((c) => c.name);
    });
    expect(names.length).toBeGreaterThan(40);
    expect(new Set(names).size).toBe(names.length);
  });

  test("a command is found after the global --debug flag, and help without a word lists every command", () => {
    const idp = (...args: string[]) => Bun.spawnSync([process.execPath, ENTRY, ...args], { env: { ...process.env, NO_COLOR: "1" } });
    const tags = idp("--debug", "tags", "--help");
    expect(tags.exitCode).toBe(0);
    expect(tags.stdout.toString()).toContain("$ idp tags <repository>");
    const help = idp("--help");
    expect(help.exitCode).toBe(0);
    for (const word of new Set(COMMANDS.flatMap((c) => c.words))) expect(help.stdout.toString()).toContain(`  ${word}`);
  });
});
