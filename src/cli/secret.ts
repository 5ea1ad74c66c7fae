import { UsageError } from "./usage.ts";

/**
 * A secret from standard input (`--password-stdin`: everything up to EOF, one trailing
 * newline removed), or typed at a terminal prompt without echo. Never printed.
 */
export async function readSecret(fromStdin: boolean, prompt: string): Promise<string> {
  if (fromStdin) {
    const text = await new Response(Bun.stdin.stream()).text();
    const secret = text.replace(/\r?\n$/, "");
    if (!secret) throw new UsageError("standard input was empty; pipe the password in");
    return secret;
  }
  if (!process.stdin.isTTY) throw new UsageError("no terminal to ask for the password", "pass --password-stdin and pipe it in");
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let secret = "";
  try {
    for await (const chunk of stdin) {
      for (const ch of String(chunk)) {
        if (ch === "\r" || ch === "\n") return secret;
        if (ch === "\u0003") throw new UsageError("cancelled");
        if (ch === "\u007f") secret = secret.slice(0, -1);
        else secret += ch;
      }
    }
    return secret;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
}
