/**
 * The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]` headers,
 * `key = value` lines, `#` and `;` comments. Nested sub-sections (indented lines, used for
 * S3 settings) are skipped: idp needs none of them.
 *
 * @example parseIni("[default]\naws_access_key_id = AKIA…")["default"]!.aws_access_key_id
 */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s+\S/.test(raw) && section) continue;
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = out[header[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && section) section[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}
