import { describe, expect, test } from "bun:test";
import { PasswordCheck, parseHtpasswd } from "../../registry/auth/htpasswd.ts";
import { InvalidInputError } from "../../src/errors/index.ts";
import { peer } from "../helpers/peers.ts";
import { run } from "../helpers/process.ts";

/** A line as the real htpasswd tool writes it (`-B` bcrypt, `-m` apr1-MD5, `-s` SHA-1, `-p` plain). */
async function line(user: string, password: string, flags: string[]): Promise<string> {
  return (await run([peer("htpasswd"), "-nb", ...flags, user, password])).stdout.trim();
}

function refusal(text: string, maxCost = 14): string {
  try {
    parseHtpasswd(text, "/etc/idp/htpasswd", maxCost);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error("expected the file to be refused");
}

describe("htpasswd files (d-13)", () => {
  test("bcrypt lines from htpasswd -B are accepted and checked", async () => {
    const text = `# team\n${await line("ann", "s3cret", ["-B", "-C", "5"])}\n\n${await line("bob", "hunter2", ["-B", "-C", "6"])}\n`;
    const check = await PasswordCheck.fromText(text, "test", 14);
    expect([...check.users.keys()]).toEqual(["ann", "bob"]);
    expect(await check.verify("ann", "s3cret")).toBe(true);
    expect(await check.verify("ann", "s3cret")).toBe(true);
    expect(await check.verify("ann", "S3cret")).toBe(false);
    expect(await check.verify("bob", "s3cret")).toBe(false);
    expect(await check.verify("nobody", "s3cret")).toBe(false);
    expect(await check.verify("", "")).toBe(false);
  });

  test("apr1-MD5, SHA-1, crypt and plain-text lines are refused, naming the line and user but not the hash", async () => {
    const good = await line("ann", "pw", ["-B", "-C", "5"]);
    for (const [flags, kind] of [
      [["-m"], "apr1-MD5"],
      [["-s"], "SHA-1"],
      [["-p"], "plain-text or unknown"],
    ] as const) {
      const bad = await line("mallory", "pw", [...flags]);
      const message = refusal(`${good}\n${bad}\n`);
      expect(message).toContain("/etc/idp/htpasswd line 2");
      expect(message).toContain('"mallory"');
      expect(message).toContain(kind);
      expect(message).not.toContain(bad.split(":")[1]!);
    }
    expect(refusal("eve:$1$abcdefgh$abcdefghijklmnopqrstuv\n")).toContain("crypt");
    expect(refusal("just-a-name\n")).toContain("line 1: expected user:bcrypt-hash");
  });

  test("a bcrypt cost above the limit is refused (CPU exhaustion), as are duplicates and empty files", async () => {
    const costly = await line("ann", "pw", ["-B", "-C", "12"]);
    expect(refusal(costly, 10)).toContain("bcrypt cost 12; allowed is 4 to 10");
    const ann = await line("ann", "pw", ["-B", "-C", "5"]);
    expect(refusal(`${ann}\n${ann}\n`)).toContain('line 2: user "ann" is listed twice');
    expect(refusal("# only a comment\n")).toContain("no users");
  });

  test("passwords longer than 72 bytes match what htpasswd -B stored (it keeps the first 72)", async () => {
    const long = "x".repeat(80);
    const check = await PasswordCheck.fromText(await line("ann", long, ["-B", "-C", "5"]), "test", 14);
    expect(await check.verify("ann", long)).toBe(true);
    expect(await check.verify("ann", "x".repeat(72))).toBe(true);
    expect(await check.verify("ann", "x".repeat(71))).toBe(false);
  });

  test("an unknown user costs a bcrypt check too, so timing does not reveal which users exist", async () => {
    const check = await PasswordCheck.fromText(await line("ann", "pw", ["-B", "-C", "10"]), "test", 14);
    const time = async (user: string) => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await check.verify(user, `wrong-${i}`);
      return performance.now() - start;
    };
    const known = await time("ann");
    const unknown = await time("no-such-user");
    // cost 10 is ~50 ms per check; an early return for unknown users would be ~0 ms.
    expect(unknown).toBeGreaterThan(known * 0.5);
  });
});
