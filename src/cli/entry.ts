#!/usr/bin/env bun
/**
 * The binary's entry: answers `--version` before loading anything else (start-up time is
 * most of a small command's cost), then hands over to main.ts, loaded on demand.
 */
const argv = process.argv.slice(2);
if (argv.includes("--version") || argv.includes("-v")) {
  const { VERSION } = await import("../version.ts");
  const { writeSync } = await import("node:fs");
  writeSync(1, `idp ${VERSION}\n`);
} else {
  const { main } = await import("./main.ts");
  process.exitCode = await main(argv);
}
export {};
