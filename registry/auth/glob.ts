/**
 * Glob patterns for repository names, tags and media types, compiled once to a RegExp.
 *
 * With `segments` (repository names): `*` matches within one `/`-separated segment and `**`
 * matches across segments, so `team/*` is `team/app` but not `team/app/sub`, and `team/**`
 * is both. Without it (tags, media types) `*` matches any run of characters. Everything else
 * matches itself.
 *
 * @example
 * compileGlob("team/*", { segments: true }).test("team/app") // true
 * compileGlob("v*").test("v1.2.3")                           // true
 */
export function compileGlob(pattern: string, options: { segments?: boolean } = {}): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch !== "*") {
      source += ch.replace(/[.+?^${}()|[\]\\/-]/g, "\\$&");
      continue;
    }
    const double = pattern[i + 1] === "*";
    if (double) i++;
    if (!options.segments || double) {
      // `a/**` also matches `a` itself, as people expect of "everything under a".
      if (double && source.endsWith("\\/") && i === pattern.length - 1) {
        source = `${source.slice(0, -2)}(?:\\/.*)?`;
        continue;
      }
      source += ".*";
    } else {
      source += "[^/]*";
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * True when any of `patterns` matches `value`.
 *
 * @example matchesAny([compileGlob("a/*", { segments: true })], "a/b") // true
 */
export function matchesAny(patterns: readonly RegExp[], value: string): boolean {
  for (const p of patterns) if (p.test(value)) return true;
  return false;
}
