/**
 * A minimal Prometheus text-format (0.0.4) registry: counters, gauges and histograms with
 * fixed label names. Label values come from closed sets (route labels, methods, status codes),
 * never from user input such as repository names, so the series count stays bounded.
 *
 * @example
 * const reg = new PromRegistry();
 * const hits = reg.counter("idp_hits_total", "Hits.", ["route"]);
 * hits.inc(["blob"]);
 * reg.render(); // "# HELP idp_hits_total Hits.\n# TYPE idp_hits_total counter\nidp_hits_total{route=\"blob\"} 1\n"
 */
export class PromRegistry {
  #metrics: Metric[] = [];

  counter(name: string, help: string, labels: readonly string[] = []): Series {
    return this.#add(new Series(name, help, "counter", labels));
  }

  gauge(name: string, help: string, labels: readonly string[] = []): Series {
    return this.#add(new Series(name, help, "gauge", labels));
  }

  histogram(name: string, help: string, buckets: readonly number[], labels: readonly string[] = []): Histogram {
    return this.#add(new Histogram(name, help, buckets, labels));
  }

  render(): string {
    return this.#metrics.map((m) => m.render()).join("");
  }

  #add<T extends Metric>(metric: T): T {
    this.#metrics.push(metric);
    return metric;
  }
}

interface Metric {
  render(): string;
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/**
 * A counter or gauge: one number per combination of label values.
 *
 * @example registry.counter("idp_x_total", "X.", ["route"]).inc(["blob"]);
 */
export class Series implements Metric {
  #values = new Map<string, { labels: readonly string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    readonly labels: readonly string[],
  ) {}

  inc(labels: readonly string[] = [], by = 1): void {
    const key = labels.join("\u0000");
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: [...labels], value: by });
  }

  set(labels: readonly string[], value: number): void {
    this.#values.set(labels.join("\u0000"), { labels: [...labels], value });
  }

  get(labels: readonly string[] = []): number {
    return this.#values.get(labels.join("\u0000"))?.value ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, this.type);
    if (this.#values.size === 0 && this.labels.length === 0) out += `${this.name} 0\n`;
    for (const { labels, value } of this.#values.values()) out += `${this.name}${labelText(this.labels, labels)} ${value}\n`;
    return out;
  }
}

/**
 * Observations counted into cumulative buckets, with their sum and count.
 *
 * @example registry.histogram("idp_seconds", "Time.", [0.1, 1], ["route"]).observe(["blob"], 0.02);
 */
export class Histogram implements Metric {
  #series = new Map<string, { labels: readonly string[]; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labels: readonly string[],
  ) {}

  observe(labels: readonly string[], value: number): void {
    const key = labels.join("\u0000");
    let s = this.#series.get(key);
    if (!s) {
      s = { labels: [...labels], counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    let out = header(this.name, this.help, "histogram");
    for (const s of this.#series.values()) {
      this.buckets.forEach((le, i) => (out += `${this.name}_bucket${labelText(this.labels, s.labels, `le="${le}"`)} ${s.counts[i]}\n`));
      out += `${this.name}_bucket${labelText(this.labels, s.labels, 'le="+Inf"')} ${s.count}\n`;
      out += `${this.name}_sum${labelText(this.labels, s.labels)} ${s.sum}\n`;
      out += `${this.name}_count${labelText(this.labels, s.labels)} ${s.count}\n`;
    }
    return out;
  }
}
