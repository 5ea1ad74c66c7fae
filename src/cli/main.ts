#!/usr/bin/env bun
import { cac } from "cac";
import { IdpError } from "../errors/index.ts";
import { VERSION } from "../version.ts";
import { registerServe } from "./commands/serve.ts";
import { printError } from "./output.ts";

/**
 * The CLI's single error boundary and the only place that exits. Exit codes: 0 success,
 * 1 failure, 2 usage error.
 */
export async function main(argv: string[]): Promise<number> {
  const cli = cac("idp");
  cli.option("--debug", "Show stack traces on errors");
  registerServe(cli);
  cli.help((sections) => {
    sections.push({
      title: "Exit codes",
      body: "  0  success\n  1  failure (the message says what and where)\n  2  usage error",
    });
    return sections;
  });
  cli.version(VERSION);
  const debug = argv.includes("--debug");
  try {
    cli.parse(["idp", "idp", ...argv], { run: false });
    if (cli.options.help || cli.options.version) return 0;
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
    if (error instanceof IdpError) {
      printError(error.message, error.hint);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      return 1;
    }
    printError(`internal error: ${(error as Error)?.message ?? String(error)}`, debug ? undefined : "run again with --debug for details");
    if (debug) process.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
