import type { TransferObserver } from "../client/observe.ts";
import { formatSize } from "../config/units.ts";
import { colour, writeFd } from "./output.ts";
import { isTerminal } from "./tty.ts";

/**
 * Progress for transfers. On a TTY: one bar per blob in flight and a total line (bytes, rate,
 * ETA), redrawn at most 10 times a second on stderr; skipped and mounted blobs say so. Not
 * on a TTY: one plain line per finished blob. Quiet or JSON mode: nothing (scripts read the
 * result on stdout instead).
 */

export type ItemState = "active" | "done" | "skipped" | "mounted" | "failed";

interface Item {
  label: string;
  total: number;
  done: number;
  state: ItemState;
}

export interface ProgressOptions {
  /** Verb for the lines: "push", "pull", "copy". */
  verb: string;
  mode: "tty" | "plain" | "silent";
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

/** How progress should be shown for the current process and flags. */
export function progressMode(flags: { quiet?: boolean; json?: boolean }, stream?: NodeJS.WriteStream): ProgressOptions["mode"] {
  if (flags.quiet || flags.json) return "silent";
  const tty = stream ? Boolean(stream.isTTY) : isTerminal(2);
  return tty && process.env.TERM !== "dumb" && !process.env.CI ? "tty" : "plain";
}

/** stderr as a minimal stream for plain lines, without building process.stderr. */
const fdStream = { isTTY: false, columns: 80, write: (text: string) => (writeFd(2, text), true) };

export class Progress implements TransferObserver {
  #items = new Map<string, Item>();
  #options: Required<Omit<ProgressOptions, "stream">> & { stream: NodeJS.WriteStream };
  #started: number;
  #lastDraw = 0;
  #drawnLines = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Bars only on a TTY: elsewhere nobody sees bytes in flight. */
  readonly live: boolean;

  constructor(options: ProgressOptions) {
    // process.stderr only on a terminal (bars need its columns); plain lines go to fd 2.
    const stream = options.stream ?? (options.mode === "tty" ? process.stderr : (fdStream as NodeJS.WriteStream));
    this.#options = { now: () => performance.now(), ...options, stream };
    this.#started = this.#options.now();
    this.live = options.mode === "tty";
    if (options.mode === "tty") this.#timer = setInterval(() => this.#draw(), 100);
  }

  /** Sets how much of `id` moved so far (absolute). */
  update(id: string, bytes: number): void {
    const item = this.#items.get(id);
    if (item) this.advance(id, bytes - item.done);
  }

  /** A blob (or manifest) starts moving. */
  start(id: string, label: string, total: number): void {
    this.#items.set(id, { label, total, done: 0, state: "active" });
  }

  /** `bytes` more of `id` moved. */
  advance(id: string, bytes: number): void {
    const item = this.#items.get(id);
    if (item) item.done += bytes;
    if (this.#options.mode === "tty" && this.#options.now() - this.#lastDraw > 100) this.#draw();
  }

  /** `id` ended: copied, already there, mounted from another repository, or failed. */
  finish(id: string, state: Exclude<ItemState, "active">, label?: string, total?: number): void {
    let item = this.#items.get(id);
    if (!item) {
      item = { label: label ?? id, total: total ?? 0, done: 0, state };
      this.#items.set(id, item);
    }
    item.state = state;
    if (state === "done") item.done = item.total;
    if (this.#options.mode === "plain") {
      const what = state === "done" ? pastTense(this.#options.verb) : state;
      this.#options.stream.write(`${what.padEnd(8)} ${item.label} (${formatBytes(item.total)})\n`);
    }
  }

  /** Final redraw and stop; call once, whatever happened. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#options.mode === "tty") this.#draw(true);
  }

  /** Totals so far: bytes moved, bytes expected, per-state counts. */
  summary(): { bytes: number; total: number; counts: Record<ItemState, number> } {
    const counts: Record<ItemState, number> = { active: 0, done: 0, skipped: 0, mounted: 0, failed: 0 };
    let bytes = 0;
    let total = 0;
    for (const item of this.#items.values()) {
      counts[item.state]++;
      if (item.state === "active" || item.state === "done" || item.state === "failed") {
        bytes += item.done;
        total += item.total;
      }
    }
    return { bytes, total, counts };
  }

  #draw(final = false): void {
    const { stream, now } = this.#options;
    this.#lastDraw = now();
    const width = Math.max(40, Math.min(stream.columns ?? 80, 120));
    const lines: string[] = [];
    for (const item of this.#items.values()) {
      if (item.state !== "active" && !final) continue;
      if (final && item.state === "active") continue;
      lines.push(itemLine(item, width));
    }
    const { bytes, total, counts } = this.summary();
    const seconds = Math.max((now() - this.#started) / 1000, 0.001);
    const rate = bytes / seconds;
    const eta = rate > 0 && total > bytes ? ` ETA ${formatDuration((total - bytes) / rate)}` : "";
    const extra = [counts.skipped && `${counts.skipped} already there`, counts.mounted && `${counts.mounted} mounted`].filter(Boolean).join(", ");
    lines.push(
      `${colour.bold(final ? "total" : this.#options.verb)} ${formatBytes(bytes)}/${formatBytes(total)} ${formatBytes(rate)}/s${final ? ` in ${formatDuration(seconds)}` : eta}${extra ? ` (${extra})` : ""}`,
    );
    let out = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}F` : "";
    for (const line of lines) out += `\x1b[2K${line}\n`;
    stream.write(out);
    this.#drawnLines = final ? 0 : lines.length;
  }
}

function itemLine(item: Item, width: number): string {
  const label = item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label.padEnd(24);
  if (item.state !== "active") {
    const tag = item.state === "done" ? colour.green("done") : item.state === "failed" ? colour.red("failed") : colour.dim(item.state === "skipped" ? "exists" : "mounted");
    return `${label} ${tag} ${formatBytes(item.total)}`;
  }
  const barWidth = Math.max(10, width - 24 - 30);
  const ratio = item.total > 0 ? Math.min(item.done / item.total, 1) : 0;
  const filled = Math.round(barWidth * ratio);
  return `${label} [${"=".repeat(filled)}${" ".repeat(barWidth - filled)}] ${formatBytes(item.done)}/${formatBytes(item.total)}`;
}

function pastTense(verb: string): string {
  return verb.endsWith("y") ? `${verb.slice(0, -1)}ied` : verb.endsWith("e") ? `${verb}d` : `${verb}ed`;
}

/** 1536 → "1.5 KiB" (one formatting for every size idp prints). */
export const formatBytes = formatSize;

/** 75.2 → "1m15s". */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${Math.round(seconds - m * 60)}s`;
}
