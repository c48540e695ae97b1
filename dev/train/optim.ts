// Small derivative-free optimizers for the training scripts (no dependencies).

export interface NelderMeadOptions {
  step?: number | number[];
  maxIter?: number;
  tol?: number;
  restarts?: number;
}

/** Minimises f with the Nelder–Mead simplex method (with restarts around the best point). */
export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  opts: NelderMeadOptions = {},
): { x: number[]; fx: number; evals: number } {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 2000 * n;
  const tol = opts.tol ?? 1e-9;
  const restarts = opts.restarts ?? 2;
  let evals = 0;
  const F = (x: number[]): number => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  let best = x0.slice();
  let bestF = F(best);
  for (let r = 0; r <= restarts; r++) {
    const simplex: number[][] = [best.slice()];
    for (let i = 0; i < n; i++) {
      const s = Array.isArray(opts.step) ? (opts.step[i] ?? 0.1) : (opts.step ?? 0.1);
      const p = best.slice();
      p[i] = p[i]! + s;
      simplex.push(p);
    }
    let vals = simplex.map(F);
    for (let it = 0; it < maxIter; it++) {
      const order = vals.map((_v, i) => i).sort((a, b) => vals[a]! - vals[b]!);
      const sx = order.map((i) => simplex[i]!);
      const sv = order.map((i) => vals[i]!);
      simplex.splice(0, simplex.length, ...sx);
      vals = sv;
      if (Math.abs(vals[n]! - vals[0]!) <= tol * (Math.abs(vals[0]!) + 1e-12)) break;
      const centroid = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
      const worst = simplex[n]!;
      const at = (c: number): number[] => centroid.map((v, j) => v + c * (worst[j]! - v));
      const xr = at(-1);
      const fr = F(xr);
      if (fr < vals[0]!) {
        const xe = at(-2);
        const fe = F(xe);
        if (fe < fr) {
          simplex[n] = xe;
          vals[n] = fe;
        } else {
          simplex[n] = xr;
          vals[n] = fr;
        }
      } else if (fr < vals[n - 1]!) {
        simplex[n] = xr;
        vals[n] = fr;
      } else {
        const outside = fr < vals[n]!;
        const xc = outside ? at(-0.5) : at(0.5);
        const fc = F(xc);
        if (fc < (outside ? fr : vals[n]!)) {
          simplex[n] = xc;
          vals[n] = fc;
        } else {
          const b = simplex[0]!;
          for (let i = 1; i <= n; i++) {
            simplex[i] = simplex[i]!.map((v, j) => b[j]! + 0.5 * (v - b[j]!));
            vals[i] = F(simplex[i]!);
          }
        }
      }
    }
    let bi = 0;
    for (let i = 1; i <= n; i++) if (vals[i]! < vals[bi]!) bi = i;
    const improved = vals[bi]! < bestF - 1e-12;
    if (vals[bi]! <= bestF) {
      best = simplex[bi]!.slice();
      bestF = vals[bi]!;
    }
    if (!improved && r > 0) break;
  }
  return { x: best, fx: bestF, evals };
}

/** Minimises a unimodal 1-D function on [lo, hi] (golden-section search). */
export function goldenSection(f: (x: number) => number, lo: number, hi: number, tol = 1e-5): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}
