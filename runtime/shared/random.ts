/**
 * A small seeded pseudo-random generator shared by the sample generator and the TMDB stand-in. Every title and every
 * person gets its own generator derived from (seed, kind, index) or from a text such as `movie:<imdb id>`, so any
 * record can be rebuilt on its own without keeping a pool in memory, and the same seed always gives the same bytes.
 */

/** FNV-1a 32-bit hash of a string (unsigned): stable ids and seeds derived from text. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mixes integers into one 32-bit hash (murmur3-style finalizer), used to derive independent streams. */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Mix the high part of numbers beyond 32 bits too, so large seeds do not collide.
    h = Math.imul(h ^ Math.floor(value / 0x100000000), 0x27d4eb2f);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** A deterministic generator (sfc32) with the helpers the row builders need. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds the generator from any list of integers (e.g. seed, kind, index). */
  constructor(...seedParts: number[]) {
    this.a = hash32(...seedParts, 1);
    this.b = hash32(...seedParts, 2);
    this.c = hash32(...seedParts, 3);
    this.d = 1;
    // Warm up so nearby seeds diverge.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A generator seeded from a text (e.g. `movie:tt0000009`). */
  static fromText(text: string): Rng {
    return new Rng(hashText(text));
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One element of a non-empty list, chosen with the given cumulative weights (see {@link cumulative}). */
  weighted<T>(items: readonly T[], cumulativeWeights: readonly number[]): T {
    const total = cumulativeWeights[cumulativeWeights.length - 1] as number;
    const target = this.next() * total;
    let low = 0;
    let high = cumulativeWeights.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulativeWeights[mid] as number) > target) high = mid;
      else low = mid + 1;
    }
    return items[low] as T;
  }

  /** `count` distinct items of a list (fewer if the list is shorter). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0)
      out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0] as T);
    return out;
  }

  /** A hex string of `length` characters (TMDB's credit ids are 24). */
  hex(length: number): string {
    let out = "";
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }

  /** A normally distributed number (Box-Muller). */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Running sums of weights, for {@link Rng.weighted}. */
export function cumulative(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((weight) => (sum += weight));
}
