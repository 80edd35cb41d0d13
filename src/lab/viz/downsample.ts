/**
 * Downsampling for charts: min and max per bucket of x. A line drawn through the kept points
 * has the same envelope as the full series (every spike and every dip survives, so a p99
 * spike cannot vanish), which plain striding or averaging would not promise.
 */

/** Columns of one series: `x` ascending, `y` finite or `null` for a gap. */
export interface Columns {
  x: number[];
  y: (number | null)[];
}

/**
 * At most `budget` points (≥ 4) of `cols`, keeping the first and last point and, per bucket of
 * equal x width, the point with the smallest and the one with the largest y (in x order). A
 * bucket whose points are all gaps keeps one gap, so a hole in the data stays a hole.
 * Returns the input unchanged when it already fits.
 */
export function minMaxDownsample(cols: Columns, budget: number): Columns & { bucketWidth: number } {
  const n = cols.x.length;
  if (n <= budget || n < 3) return { x: cols.x, y: cols.y, bucketWidth: 0 };
  const buckets = Math.max(1, Math.floor((budget - 2) / 2));
  const x0 = cols.x[0]!;
  const x1 = cols.x[n - 1]!;
  const width = (x1 - x0) / buckets || 1;
  const x: number[] = [x0];
  const y: (number | null)[] = [cols.y[0]!];
  let i = 1;
  for (let b = 0; b < buckets && i < n - 1; b++) {
    const end = b === buckets - 1 ? x1 + 1 : x0 + (b + 1) * width;
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (; i < n - 1 && cols.x[i]! < end; i++) {
      const v = cols.y[i];
      if (v === null || v === undefined) {
        if (gap < 0) gap = i;
        continue;
      }
      if (lo < 0 || v < cols.y[lo]!) lo = i;
      if (hi < 0 || v > cols.y[hi]!) hi = i;
    }
    if (lo < 0) {
      if (gap >= 0) {
        x.push(cols.x[gap]!);
        y.push(null);
      }
      continue;
    }
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    x.push(cols.x[first]!);
    y.push(cols.y[first]!);
    if (second !== first) {
      x.push(cols.x[second]!);
      y.push(cols.y[second]!);
    }
  }
  x.push(x1);
  y.push(cols.y[n - 1]!);
  return { x, y, bucketWidth: width };
}
