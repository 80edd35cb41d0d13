/**
 * The network between nodes: per-link latency (any {@link Distribution}) and loss, and
 * partitions, one-way or two-way. Every message asks the network how long it takes, or
 * whether it is lost.
 */
import { fraction } from "../errors";
import { DISPLAY, markdown, type MimeBundle } from "../display";
import { checkDistribution, sample, type Distribution, type Random } from "./random";

/** Properties of a link. */
export interface LinkOptions {
  /** One-way delay in ms. Default: the network default (1 ms). */
  latency?: Distribution;
  /** Probability that a message is lost, 0–1. Default 0. */
  loss?: number;
}

/** @internal {@link Network.delay} of a message a partition stops. */
export const PARTITION = -1;
/** @internal {@link Network.delay} of a message lost at random. */
export const LOSS = -2;

/** Defaults of the network. */
export const NETWORK_DEFAULTS = { latency: 1 as Distribution, loss: 0 } as const;

interface Host {
  readonly random: Random;
}

/** Latency, loss and partitions between named nodes. */
export class Network {
  private defaults: Required<LinkOptions> = { ...NETWORK_DEFAULTS };
  private readonly links = new Map<string, LinkOptions>();
  private readonly cuts = new Set<string>();

  constructor(private readonly host: Host) {}

  /** Sets the latency and loss of every link without its own settings. */
  setDefaults(options: LinkOptions): void {
    if (options.loss !== undefined) fraction("Network.setDefaults", "loss", options.loss);
    if (options.latency !== undefined) checkDistribution("Network.setDefaults", "latency", options.latency);
    this.defaults = { ...this.defaults, ...options };
  }

  /** Sets a link's latency and loss, both directions unless `oneWay`. */
  setLink(a: string, b: string, options: LinkOptions, oneWay = false): void {
    if (options.loss !== undefined) fraction("Network.setLink", "loss", options.loss);
    if (options.latency !== undefined) checkDistribution("Network.setLink", "latency", options.latency);
    this.links.set(key(a, b), { ...this.links.get(key(a, b)), ...options });
    if (!oneWay) this.links.set(key(b, a), { ...this.links.get(key(b, a)), ...options });
  }

  /** Removes a link's own settings (back to the defaults). */
  resetLink(a: string, b: string): void {
    this.links.delete(key(a, b));
    this.links.delete(key(b, a));
  }

  /** Stops messages from `a` to `b` (and back, unless `oneWay`). */
  partition(a: string, b: string, oneWay = false): void {
    this.cuts.add(key(a, b));
    if (!oneWay) this.cuts.add(key(b, a));
  }

  /** Ends partitions: between `a` and `b`, all of `a`'s, or every one. */
  heal(a?: string, b?: string): void {
    if (a === undefined) this.cuts.clear();
    else if (b === undefined) {
      for (const k of [...this.cuts]) if (k.startsWith(`${a}\u0000`) || k.endsWith(`\u0000${a}`)) this.cuts.delete(k);
    } else {
      this.cuts.delete(key(a, b));
      this.cuts.delete(key(b, a));
    }
  }

  /** True when messages can go from `from` to `to`. */
  reachable(from: string, to: string): boolean {
    return this.cuts.size === 0 || !this.cuts.has(key(from, to));
  }

  /**
   * How long one message from `from` to `to` takes, or why it does not arrive. Draws from
   * the seeded random source, so the same seed gives the same answers.
   */
  transit(from: string, to: string): { delay: number } | { lost: "partition" | "loss" } {
    const delay = this.delay(from, to);
    return delay === PARTITION ? { lost: "partition" } : delay === LOSS ? { lost: "loss" } : { delay };
  }

  /**
   * @internal {@link transit} as one number, for the hot path: the delay in ms, or
   * {@link PARTITION} / {@link LOSS}. No object per message, and no key string unless some
   * link has its own settings or is cut.
   */
  delay(from: string, to: string): number {
    if (from === to) return 0;
    const k = this.cuts.size > 0 || this.links.size > 0 ? key(from, to) : "";
    if (this.cuts.size > 0 && this.cuts.has(k)) return PARTITION;
    const link = this.links.size > 0 ? this.links.get(k) : undefined;
    const loss = link?.loss ?? this.defaults.loss;
    if (loss > 0 && this.host.random.chance(loss)) return LOSS;
    return Math.max(0, sample(this.host.random, link?.latency ?? this.defaults.latency));
  }

  /** Defaults, links set apart from them, and cut links, in a few lines. */
  [DISPLAY](): MimeBundle {
    const d = this.defaults;
    const describe = (v: Distribution | undefined) => (v === undefined ? "default" : typeof v === "number" ? `${v} ms` : v.kind);
    const pair = (k: string) => k.split("\u0000").join(" – ");
    const links = [...this.links].map(([k, l]) => `${pair(k)}: latency ${describe(l.latency)}${l.loss ? `, loss ${l.loss}` : ""}`);
    const text = [`Network: default latency ${describe(d.latency)}, loss ${d.loss}`, ...(links.length ? [`links: ${links.join("; ")}`] : []), `partitions: ${this.cuts.size === 0 ? "none" : [...this.cuts].map(pair).join(", ")}`].join("\n");
    return markdown(text)[DISPLAY]();
  }
}

function key(a: string, b: string): string {
  return `${a}\u0000${b}`;
}
