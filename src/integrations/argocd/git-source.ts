import { InvalidInputError } from "../../errors/index.ts";
import type { ApplicationSource } from "./schema.ts";

/**
 * Git sources given on the command line, for hybrid Applications: an OCI package plus git.
 *
 * - `URL@REV[:PATH]` is a source Argo CD renders (`--git-source`);
 * - `NAME=URL@REV` is a `ref` source whose files other sources read as `$NAME/…` (`--git-ref`),
 *   the way Helm values files usually stay in git.
 *
 * URL may be `https://…`, `ssh://…` or scp-like `git@host:org/repo.git`; the revision is
 * required (a branch, tag or commit), so nothing silently follows HEAD.
 */

const URL_LIKE = /^(https?|ssh|git|file):\/\/[^\s]+$|^[^\s@/]+@[^\s:]+:[^\s]+$/;

function invalid(flag: string, text: string, why: string): InvalidInputError {
  return new InvalidInputError(`${flag} ${JSON.stringify(text)}: ${why}`, { hint: `write it as ${flag === "--git-ref" ? "NAME=URL@REV" : "URL@REV[:PATH]"}, e.g. https://git.example.com/platform/values.git@main${flag === "--git-ref" ? "" : ":envs/prod"}` });
}

/**
 * Parses `URL@REV[:PATH]`.
 *
 * @example parseGitSource("https://git.example.com/p.git@v1.2.0:deploy") // { repoURL, targetRevision: "v1.2.0", path: "deploy" }
 */
export function parseGitSource(text: string, flag = "--git-source"): ApplicationSource {
  const at = text.lastIndexOf("@");
  if (at <= 0) throw invalid(flag, text, "no @REV: say which branch, tag or commit");
  const repoURL = text.slice(0, at);
  const rest = text.slice(at + 1);
  const colon = rest.indexOf(":");
  const targetRevision = colon === -1 ? rest : rest.slice(0, colon);
  const path = colon === -1 ? undefined : rest.slice(colon + 1);
  if (repoURL.startsWith("oci://")) throw invalid(flag, text, "that is an OCI repository; give the package as REF instead");
  if (!URL_LIKE.test(repoURL)) throw invalid(flag, text, "the part before @ is not a git URL");
  if (!targetRevision || /\s/.test(targetRevision)) throw invalid(flag, text, "the revision after @ is empty");
  if (path !== undefined && (path === "" || path.startsWith("/") || path.split("/").includes(".."))) {
    throw invalid(flag, text, "the path after : must be relative and stay inside the repository");
  }
  return path === undefined ? { repoURL, targetRevision } : { repoURL, targetRevision, path };
}

/**
 * Parses `NAME=URL@REV` into a `ref` source.
 *
 * @example parseGitRef("values=https://git.example.com/values.git@main") // { repoURL, targetRevision: "main", ref: "values" }
 */
export function parseGitRef(text: string): ApplicationSource {
  const eq = text.indexOf("=");
  const name = eq === -1 ? "" : text.slice(0, eq);
  if (!/^[a-zA-Z][a-zA-Z0-9_-]*$/.test(name)) throw invalid("--git-ref", text, "it needs NAME= before the URL (letters, digits, '_' and '-')");
  const source = parseGitSource(text.slice(eq + 1), "--git-ref");
  if (source.path !== undefined) throw invalid("--git-ref", text, "a ref source has no path; files are named as $NAME/path in --values");
  return { ...source, ref: name };
}
