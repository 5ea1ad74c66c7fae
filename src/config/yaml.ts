import { isNode, LineCounter, parseAllDocuments, type Document } from "yaml";
import type * as v from "valibot";

/**
 * YAML with source positions, so a validation message can say `file:line:col`. Bun's own
 * YAML parser has no positions; the `yaml` package keeps them.
 */

export interface YamlDocument {
  /** The document as plain data. */
  value: unknown;
  /** 1-based line where the document starts. */
  line: number;
  /** Line and column of the node at `path` (or its nearest existing parent). */
  locate(path: readonly (string | number)[]): { line: number; col: number };
}

export interface YamlError {
  message: string;
  line: number;
  col: number;
}

/**
 * Parses every document of a YAML stream. Syntax errors come back as data (with positions)
 * rather than thrown, so a validator can report all files at once.
 */
export function parseYamlDocuments(text: string): { documents: YamlDocument[]; errors: YamlError[] } {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const errors: YamlError[] = [];
  const documents: YamlDocument[] = [];
  for (const doc of list) {
    for (const e of doc.errors) {
      const pos = counter.linePos(e.pos[0]);
      errors.push({ message: e.message.split("\n")[0]!, line: pos.line, col: pos.col });
    }
    if (doc.errors.length > 0) continue;
    const start = doc.contents && isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : doc.range[0];
    documents.push({
      value: doc.toJS({ maxAliasCount: 100 }),
      line: counter.linePos(start).line,
      locate: (path) => locate(doc, counter, path),
    });
  }
  return { documents, errors };
}

function locate(doc: Document.Parsed, counter: LineCounter, path: readonly (string | number)[]): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** The path of a valibot issue as keys for `locate`. */
export function issuePath(issue: v.BaseIssue<unknown>): (string | number)[] {
  return (issue.path ?? []).map((item) => item.key as string | number);
}
