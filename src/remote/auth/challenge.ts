/** One authentication challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** Lower-cased: `basic`, `bearer`, or whatever else the registry named. */
  scheme: string;
  /** Parameter names lower-cased; quoted values unescaped. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses `WWW-Authenticate` values (RFC 9110 §11.6.1): each value may hold several challenges
 * separated by commas, and fetch's `Headers` joins repeated header lines with ", " too, so
 * the parser splits challenges by grammar, not by line. Parameter values are tokens or
 * quoted strings (with `\` escapes); a token68 credential is kept under the key `""`.
 *
 * @example parseChallenges('Bearer realm="https://auth.io/token",service="reg"')
 * // [{ scheme: "bearer", params: { realm: "https://auth.io/token", service: "reg" } }]
 */
export function parseChallenges(value: string | null): Challenge[] {
  if (!value) return [];
  const out: Challenge[] = [];
  let rest = value;
  let current: Challenge | undefined;
  const skip = (pattern: RegExp) => {
    const m = pattern.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  while (rest.length > 0) {
    skip(/^[\s,]+/);
    if (rest.length === 0) break;
    const token = TOKEN.exec(rest)?.[0];
    if (!token) {
      rest = rest.slice(1);
      continue;
    }
    const afterToken = rest.slice(token.length);
    const isParam = /^\s*=/.test(afterToken) && !/^\s*=+\s*(,|$)/.test(afterToken);
    if (isParam && current) {
      rest = afterToken;
      skip(/^\s*=\s*/);
      current.params[token.toLowerCase()] = readValue();
      continue;
    }
    current = { scheme: token.toLowerCase(), params: {} };
    out.push(current);
    rest = afterToken;
    skip(/^[ \t]+/);
    const token68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/.exec(rest);
    if (token68 && !/^[^=]+=[^=]/.test(rest.slice(0, token68[0].length + 1))) {
      current.params[""] = token68[0];
      rest = rest.slice(token68[0].length);
    }
  }
  return out;

  function readValue(): string {
    if (rest.startsWith('"')) {
      let i = 1;
      let text = "";
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === "\\" && i + 1 < rest.length) i++;
        text += rest[i];
        i++;
      }
      rest = rest.slice(i + 1);
      return text;
    }
    const m = /^[^,\s]*/.exec(rest);
    const text = m?.[0] ?? "";
    rest = rest.slice(text.length);
    return text;
  }
}
