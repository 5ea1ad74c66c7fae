#!/usr/bin/env bun
import { cac } from "cac";
import { IdpError, InterruptedError } from "../errors/index.ts";
import { VERSION } from "../version.ts";
import { COMMANDS } from "./commands/index.ts";
import { printError, writeFd } from "./output.ts";
import { UsageError } from "./usage.ts";

/**
 * The CLI's single error boundary and the only place that exits. Exit codes: 0 success,
 * 1 failure, 2 usage error.
 */
export async function main(argv: string[]): Promise<number> {
  const cli = cac("idp");
  cli.option("--debug", "Show stack traces on errors");
  const word = argv.find((a) => !a.startsWith("-"));
  const wanted = COMMANDS.filter((c) => word !== undefined && c.words.includes(word));
  for (const register of await Promise.all((wanted.length ? wanted : COMMANDS).map((c) => c.load()))) register(cli);
  cli.help((sections) => {
    sections.push({
      title: "Exit codes",
      body: "  0  success\n  1  failure (the message says what and where)\n  2  usage error",
    });
    return sections;
  });
  cli.version(VERSION);
  const debug = argv.includes("--debug");
  if (argv.includes("--version") || argv.includes("-v")) {
    writeFd(1, `idp ${VERSION}\n`);
    return 0;
  }
  const args = joinSubcommand(argv, cli.commands.map((c) => c.name));
  const group = args[0] !== undefined && cli.commands.some((c) => c.name.startsWith(`${args[0]} `)) ? args[0] : undefined;
  if (group !== undefined) {
    printGroupHelp(group, cli.commands.filter((c) => c.name.startsWith(`${group} `)));
    return args.length === 1 || args[1] === "--help" || args[1] === "-h" ? 0 : 2;
  }
  try {
    cli.parse(["idp", "idp", ...args], { run: false });
    if (cli.options.help) return 0;
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) {
        printError(`unknown command ${JSON.stringify(cli.args[0])}`, "run `idp --help` for the list of commands");
        return 2;
      }
      cli.outputHelp();
      return 0;
    }
    await cli.runMatchedCommand();
    return 0;
  } catch (error) {
    if (error instanceof Error && error.name === "CACError") {
      printError(error.message, "see `idp --help`");
      return 2;
    }
    if (error instanceof UsageError) {
      printError(error.message, error.hint ?? `see \`idp ${cli.matchedCommandName ?? ""} --help\``.replace("  ", " "));
      return 2;
    }
    if (error instanceof IdpError) {
      // Stopped by a signal inside a copy: said as an interruption, not as the copy's failure.
      const shown = !(error instanceof InterruptedError) && error.cause instanceof InterruptedError ? error.cause : error;
      printError(shown.message, shown.hint);
      if (debug && error.stack) writeFd(2, `${error.stack}\n`);
      return 1;
    }
    const [{ describeSystemError }, { ociCacheDir }] = await Promise.all([import("../errors/system.ts"), import("../config/env.ts")]);
    const system = describeSystemError(error, ociCacheDir());
    if (system) {
      printError(system.message, system.hint);
      if (debug) writeFd(2, `${(error as Error)?.stack ?? ""}\n`);
      return 1;
    }
    printError(`internal error: ${(error as Error)?.message ?? String(error)}`, debug ? undefined : "run again with --debug for details");
    if (debug) writeFd(2, `${(error as Error)?.stack ?? ""}\n`);
    return 1;
  }
}

/** `idp manifest get x` → `idp "manifest get" x` when "manifest get" is a command. */
function joinSubcommand(argv: string[], names: string[]): string[] {
  const [first, second, ...rest] = argv;
  if (first !== undefined && second !== undefined && names.includes(`${first} ${second}`)) return [`${first} ${second}`, ...rest];
  return argv;
}

function printGroupHelp(group: string, commands: { name: string; rawName: string; description: string }[]): void {
  const width = Math.max(...commands.map((c) => c.rawName.length));
  writeFd(1, `Usage:\n  $ idp ${group} <command> [options]\n\nCommands:\n`);
  for (const c of commands) writeFd(1, `  ${c.rawName.padEnd(width)}  ${c.description}\n`);
  writeFd(1, `\nRun \`idp ${group} <command> --help\` for a command's options and examples.\n`);
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
