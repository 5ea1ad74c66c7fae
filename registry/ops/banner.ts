/** What a running server is, for the startup banner and `--json`. */
export interface ServeSummary {
  version: string;
  url: string;
  root: string;
  storage: "fs" | "memory";
  /** `off`, or how clients sign in. */
  auth: "off" | "basic" | "token";
  users: number;
  /** What clients without credentials may do. */
  anonymous: "nothing" | "read" | "everything";
  tokenRealm?: string | undefined;
  tokenKey?: string | undefined;
  tls: "off" | "on" | "on, client certificates required";
  readOnly: boolean;
  /** Where /metrics is served, or why not. */
  metrics: string;
  gc: string;
  warnings: string[];
}

/**
 * The startup banner: where the registry is and how it is set up, one fact per line.
 *
 * @example for (const line of bannerLines(summary)) info(line);
 */
export function bannerLines(s: ServeSummary): string[] {
  const auth =
    s.auth === "off"
      ? "off (anyone who can connect may push, pull and delete)"
      : `${s.auth}, ${s.users} user${s.users === 1 ? "" : "s"}; anonymous clients may ${s.anonymous === "read" ? "read" : "do nothing"}` +
        (s.auth === "token" ? `; tokens from ${s.tokenRealm ?? "<url>/auth/token"} (key: ${s.tokenKey})` : "");
  return [
    `idp ${s.version} serving an OCI registry at ${s.url}${s.readOnly ? " (read-only)" : ""}`,
    `  storage  ${s.root}${s.storage === "memory" ? " (memory: nothing survives a restart)" : ""}`,
    `  auth     ${auth}`,
    `  tls      ${s.tls}`,
    `  metrics  ${s.metrics}; health at ${s.url}/healthz and /readyz`,
    `  gc       ${s.gc}`,
    ...s.warnings.map((w) => `  warning  ${w}`),
  ];
}
