import { stringify } from "yaml";
import { InvalidInputError } from "../../errors/index.ts";

export type ObjectFormat = "yaml" | "json";

/** Checks a `-o` value. */
export function objectFormat(value: unknown): ObjectFormat {
  const text = value === undefined ? "yaml" : String(value);
  if (text !== "yaml" && text !== "json") throw new InvalidInputError(`-o ${JSON.stringify(text)}: the output format is yaml or json`);
  return text;
}

/**
 * Kubernetes objects as one text: a YAML stream (`---` between documents), or JSON (one object
 * as is, several as a `v1` List, which `kubectl apply -f` reads too).
 *
 * @example formatObjects([app], "yaml")
 */
export function formatObjects(objects: readonly unknown[], format: ObjectFormat): string {
  if (format === "json") {
    const value = objects.length === 1 ? objects[0] : { apiVersion: "v1", kind: "List", items: objects };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}
