// Seeded randomness for simulators, property tests and benchmarks. Same key → same sequence, so a rerun with the same seed
// produces byte-identical events (and the same eventIds, which the platform then treats as duplicates).
// sfc32 keeps 128 bits of state: streams from different keys practically never overlap, which matters
// because eventIds come from these streams and a collision would be dropped as a duplicate.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Index drawn with the given (unnormalised) weights. */
  weighted(weights: readonly number[]): number;
  poisson(mean: number): number;
  normal(mean: number, sd: number): number;
  shuffle<T>(items: readonly T[]): T[];
  /** A random UUID version 4 (RFC 9562 layout), drawn from this stream. */
  uuid(): string;
}

/** cyrb128: spreads a string key over four 32-bit words to seed sfc32. */
function hashKey(key: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < key.length; i++) {
    const k = key.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32 (Chris Doty-Humphrey's small fast counting generator): 32-bit outputs. */
function sfc32(seed: [number, number, number, number]): () => number {
  let [a, b, c, d] = seed;
  const step = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs still echo the seed; discard them.
  for (let i = 0; i < 15; i++) step();
  return step;
}

/** A generator seeded by the given key parts, e.g. seededRng(seed, matchId, "ids"). */
export function seededRng(...key: readonly (string | number)[]): Rng {
  const u32 = sfc32(hashKey(key.map(String).join("\u241f")));
  const next = (): number => u32() / 4294967296;
  let spareNormal: number | undefined;

  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)]!;
    },
    weighted: (weights) => {
      const total = weights.reduce((s, w) => s + w, 0);
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i]!;
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    poisson: (mean) => {
      if (mean <= 0) return 0;
      if (mean > 30) return Math.max(0, Math.round(rng.normal(mean, Math.sqrt(mean))));
      // Knuth: fine for the small per-minute means the simulators use.
      const limit = Math.exp(-mean);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
    normal: (mean, sd) => {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return mean + sd * z;
      }
      // Box-Muller; 1 - next() keeps the logarithm finite.
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const theta = 2 * Math.PI * next();
      spareNormal = r * Math.sin(theta);
      return mean + sd * r * Math.cos(theta);
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
    uuid: () => {
      const hex = [u32(), u32(), u32(), u32()].map((w) => w.toString(16).padStart(8, "0")).join("");
      const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
  };
  return rng;
}
