import { describe, expect, test } from "bun:test";
import { Progress, formatBytes, formatDuration } from "../../src/cli/progress.ts";

/** A capturing stream stands in for the terminal (no real TTY in tests). */
function capture(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = { isTTY, columns: 100, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join("") };
}

describe("Progress", () => {
  test("plain mode prints one line per finished blob, saying which were skipped or mounted", () => {
    const out = capture(false);
    const p = new Progress({ verb: "push", mode: "plain", stream: out.stream });
    p.start("a", "sha256:aaaa", 2048);
    p.advance("a", 2048);
    p.finish("a", "done");
    p.finish("b", "skipped", "sha256:bbbb", 10);
    p.finish("c", "mounted", "sha256:cccc", 5 * 1024 * 1024);
    p.close();
    expect(out.text()).toBe("pushed   sha256:aaaa (2.0 KiB)\nskipped  sha256:bbbb (10 B)\nmounted  sha256:cccc (5.0 MiB)\n");
    expect(p.summary()).toMatchObject({ bytes: 2048, total: 2048, counts: { done: 1, skipped: 1, mounted: 1 } });
  });

  test("tty mode redraws bars in place and ends with a total line", () => {
    const out = capture(true);
    let t = 0;
    const p = new Progress({ verb: "pull", mode: "tty", stream: out.stream, now: () => (t += 200) });
    p.start("a", "layer", 1000);
    p.advance("a", 500);
    p.advance("a", 500);
    p.finish("a", "done");
    p.close();
    const text = out.text();
    expect(text).toContain("[");
    expect(text).toContain("\x1b[2K");
    expect(text).toMatch(/total 1000 B\/1000 B .*\/s in /);
  });

  test("silent mode writes nothing", () => {
    const out = capture(true);
    const p = new Progress({ verb: "push", mode: "silent", stream: out.stream });
    p.start("a", "x", 1);
    p.finish("a", "done");
    p.close();
    expect(out.text()).toBe("");
  });

  test("units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(512 * 1024 * 1024)).toBe("512 MiB");
    expect(formatDuration(0.25)).toBe("250ms");
    expect(formatDuration(75.2)).toBe("1m15s");
  });
});
