import * as v from "valibot";
import { AuthError, IdpError, RegistryResponseError } from "../errors/index.ts";

const ErrorBodySchema = v.looseObject({
  errors: v.array(v.looseObject({ code: v.optional(v.string()), message: v.optional(v.string()) })),
});

/** Largest error body read; registries send a few hundred bytes, a proxy's HTML page more. */
const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * The OCI error codes and messages of a response body (`{"errors":[{code,message}]}`); empty
 * lists when the body is something else (an HTML page from a proxy, nothing at all).
 */
export async function readErrorBody(res: Response): Promise<{ codes: string[]; messages: string[] }> {
  let text = "";
  try {
    const reader = res.body?.getReader();
    while (reader && text.length < ERROR_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader?.cancel().catch(() => {});
  } catch {
    return { codes: [], messages: [] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { codes: [], messages: [] };
  }
  const parsed = v.safeParse(ErrorBodySchema, doc);
  if (!parsed.success) return { codes: [], messages: [] };
  return {
    codes: parsed.output.errors.map((e) => (e.code ?? "UNKNOWN").toUpperCase()),
    messages: parsed.output.errors.map((e) => e.message ?? ""),
  };
}

/** What the request was, for the hint: whether credentials were sent, which repository. */
export interface ErrorContext {
  method: string;
  url: string;
  /** Credentials were available for this request. */
  authenticated?: boolean;
  repository?: string;
}

/**
 * The error for a failed registry answer: a RegistryResponseError carrying status, OCI codes
 * and a hint for the common cases; 401 and 403 are AuthError with that error as the cause,
 * so callers can tell "log in" apart from everything else by class.
 *
 * @example throw await responseError(res, { method: "GET", url })
 */
export async function responseError(res: Response, context: ErrorContext): Promise<IdpError> {
  const body = await readErrorBody(res);
  const init = { method: context.method, url: context.url, status: res.status, ...body };
  const hint = hintFor(res.status, body.codes, body.messages, context);
  const error = new RegistryResponseError(init, hint === undefined ? {} : { hint });
  if (res.status === 401 || res.status === 403) return new AuthError(error.message, { cause: error, ...(hint === undefined ? {} : { hint }) });
  return error;
}

function hintFor(status: number, codes: string[], messages: string[], context: ErrorContext): string | undefined {
  const host = safeHost(context.url);
  const repo = context.repository ? ` ${context.repository}` : "";
  const text = messages.join(" ").toLowerCase();
  if (status === 401) {
    return context.authenticated
      ? `the registry refused the credentials: check the username and password (\`idp login ${host}\`)`
      : `the registry needs credentials: run \`idp login ${host}\``;
  }
  if (status === 403 || codes.includes("DENIED")) {
    return `the credentials are valid but may not do this on${repo || " this repository"}: ask for access`;
  }
  if (/repository .*(does not exist|not found)|repository_not_found|repositorynotfound/i.test(text)) {
    return `create the repository${repo} first: this registry (ECR-style) does not create repositories on push`;
  }
  if (codes.includes("NAME_UNKNOWN")) return `the repository${repo} does not exist on ${host}`;
  if (codes.includes("NAME_INVALID")) {
    return "repository names are lower-case letters, digits and separators ('.', '_', '__', '-', '/')";
  }
  if (status === 413) return "the registry (or a proxy in front of it) refused the size of the request body";
  if (status === 405 || codes.includes("UNSUPPORTED")) return "the registry does not allow this operation (deletes are often disabled)";
  if (status === 429 || codes.includes("TOOMANYREQUESTS")) return "the registry is rate-limiting: wait and retry (IDP_OCI_RETRY_COUNT raises the retries)";
  if (codes.includes("MANIFEST_BLOB_UNKNOWN")) return "push the blobs and child manifests before the manifest that refers to them";
  if (codes.includes("DIGEST_INVALID")) return "the content did not match its digest on the way: retry, and check any proxy in between";
  if (status >= 500) return `${host} failed on its side; retry later`;
  return undefined;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the registry";
  }
}
