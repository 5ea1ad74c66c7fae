import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A STAND-IN credential helper for tests: `docker-credential-<name>`, a shell script speaking
 * Docker's helper protocol (`get`/`store`/`erase`, server URL or JSON on stdin) over a JSON
 * file of `{ serverUrl: { Username, Secret } }`. It logs each action to `<dir>/<name>.log`.
 */
export function writeStandInHelper(dir: string, name: string, store: Record<string, { Username: string; Secret: string }>): { path: string; storeFile: string; log: string } {
  const storeFile = join(dir, `${name}-store.json`);
  const log = join(dir, `${name}.log`);
  writeFileSync(storeFile, JSON.stringify(store));
  const path = join(dir, `docker-credential-${name}`);
  const bun = process.execPath;
  const script = `#!/bin/sh
# stand-in docker credential helper for idp tests
echo "$1" >> "${log}"
exec "${bun}" -e '
const fs = require("fs");
const file = ${JSON.stringify(storeFile)};
const db = JSON.parse(fs.readFileSync(file, "utf8"));
const input = fs.readFileSync(0, "utf8").trim();
const action = process.argv[1];
if (action === "get") {
  const hit = db[input];
  if (!hit) { process.stdout.write("credentials not found in native keychain"); process.exit(1); }
  process.stdout.write(JSON.stringify({ ServerURL: input, Username: hit.Username, Secret: hit.Secret }));
} else if (action === "store") {
  const req = JSON.parse(input);
  db[req.ServerURL] = { Username: req.Username, Secret: req.Secret };
  fs.writeFileSync(file, JSON.stringify(db));
} else if (action === "erase") {
  if (!db[input]) { process.stdout.write("credentials not found in native keychain"); process.exit(1); }
  delete db[input];
  fs.writeFileSync(file, JSON.stringify(db));
} else { process.exit(2); }
' "$1"
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return { path, storeFile, log };
}
