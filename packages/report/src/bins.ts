/**
 * Invocation counts and marker flags of one container in a fixed number of equal time bins. The range is
 * not known while streaming, so bins start 1 ms wide and double (merging pairs) whenever a timestamp falls
 * outside: memory stays fixed whatever the number of lines, resolution follows the container's own span.
 */
export class TimeBins {
  #origin = 0
  #width = 1
  #empty = true
  #counts: Uint32Array
  #flags: Uint8Array

  constructor(size: number) {
    this.#counts = new Uint32Array(size)
    this.#flags = new Uint8Array(size)
  }

  add(at: number, count: number, flag: number): void {
    const time = Math.floor(at)
    if (this.#empty) {
      this.#origin = time
      this.#empty = false
    }
    while (time < this.#origin || time >= this.#origin + this.#counts.length * this.#width) this.#widen()
    // In range by the loop above: the casts only silence noUncheckedIndexedAccess.
    const index = Math.floor((time - this.#origin) / this.#width)
    this.#counts[index] = (this.#counts[index] as number) + count
    this.#flags[index] = (this.#flags[index] as number) | flag
  }

  #widen(): void {
    const width = this.#width * 2
    // Keep bins aligned to multiples of their width so that widening only ever merges whole pairs.
    const origin = Math.floor(this.#origin / width) * width
    const counts = new Uint32Array(this.#counts.length)
    const flags = new Uint8Array(this.#flags.length)
    this.#counts.forEach((count, index) => {
      const target = Math.floor((this.#origin + index * this.#width - origin) / width)
      counts[target] = (counts[target] as number) + count
      flags[target] = (flags[target] as number) | (this.#flags[index] as number)
    })
    this.#origin = origin
    this.#width = width
    this.#counts = counts
    this.#flags = flags
  }

  toJSON(): { originMs: number; binMs: number; counts: number[]; flags: number[] } {
    return { originMs: this.#origin, binMs: this.#width, counts: [...this.#counts], flags: [...this.#flags] }
  }
}

// Eight buckets per power of two: an estimate is at most 2^(1/8) - 1 ≈ 9% above the true value.
const BUCKETS_PER_DOUBLING = 8
const BUCKETS = BUCKETS_PER_DOUBLING * 48 + 1

/** Fixed-size log histogram of durations (ms) for approximate quantiles over unbounded streams. */
export class LogHistogram {
  readonly #buckets = new Float64Array(BUCKETS)
  count = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY

  add(value: number): void {
    const index =
      value < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(value) * BUCKETS_PER_DOUBLING) + 1)
    this.#buckets[index] = (this.#buckets[index] as number) + 1
    this.count += 1
    this.min = Math.min(this.min, value)
    this.max = Math.max(this.max, value)
  }

  /**
   * Adds `count` values already bucketed elsewhere (a CloudWatch Logs Insights query computes the same index,
   * `floor(log2(value) * 8) + 1`, 0 below 1), whose least and greatest are `min` and `max`.
   */
  addBucket(index: number, count: number, min: number, max: number): void {
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(index)))
    this.#buckets[bucket] = (this.#buckets[bucket] as number) + count
    this.count += count
    this.min = Math.min(this.min, min)
    this.max = Math.max(this.max, max)
  }

  /** Adds every value of another histogram. */
  merge(other: LogHistogram): void {
    other.#buckets.forEach((count, index) => {
      this.#buckets[index] = (this.#buckets[index] as number) + count
    })
    this.count += other.count
    this.min = Math.min(this.min, other.min)
    this.max = Math.max(this.max, other.max)
  }

  /**
   * Values counted below each edge (ms) and above the last: `edges.length + 1` counts. A bucket counts
   * where its upper edge falls, so a value near an edge may land one class up (within 9%).
   */
  classify(edges: readonly number[]): number[] {
    const counts = new Array<number>(edges.length + 1).fill(0)
    this.#buckets.forEach((count, index) => {
      if (count === 0) return
      const upper = index === 0 ? 0 : 2 ** (index / BUCKETS_PER_DOUBLING)
      const value = Math.min(Math.max(upper, this.min), this.max)
      const slot = edges.findIndex((edge) => value < edge)
      const target = slot < 0 ? edges.length : slot
      counts[target] = (counts[target] as number) + count
    })
    return counts
  }

  /** Upper edge of the bucket holding the nearest-rank quantile, never above the true maximum. */
  quantile(fraction: number): number {
    const rank = Math.max(1, Math.ceil(fraction * this.count))
    let seen = 0
    let index = 0
    for (; index < BUCKETS - 1; index += 1) {
      seen += this.#buckets[index] as number
      if (seen >= rank) break
    }
    const upper = index === 0 ? 0 : 2 ** (index / BUCKETS_PER_DOUBLING)
    return Math.round(Math.min(Math.max(upper, this.min), this.max))
  }
}

// Sixteen buckets per power of two from 0.01 ms: an estimate is at most 2^(1/16) - 1 ≈ 4.4% above the
// true value, and 640 buckets (5 KB) reach 0.01 ms × 2^40, about 127 days, far past Lambda's 15 minutes.
const SKETCH_PER_DOUBLING = 16
const SKETCH_FLOOR_MS = 0.01
const SKETCH_BUCKETS = SKETCH_PER_DOUBLING * 40 + 1

/**
 * Fixed-size log-linear histogram of invocation durations (ms): quantiles within 4.4% of the exact ones
 * (min and max exact) in 5 KB, whatever the number of values, and mergeable (per function, then overall).
 */
export class DurationSketch {
  readonly #buckets = new Float64Array(SKETCH_BUCKETS)
  count = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY

  add(value: number): void {
    const index =
      value < SKETCH_FLOOR_MS
        ? 0
        : Math.min(
            SKETCH_BUCKETS - 1,
            Math.floor(Math.log2(value / SKETCH_FLOOR_MS) * SKETCH_PER_DOUBLING) + 1,
          )
    this.#buckets[index] = (this.#buckets[index] as number) + 1
    this.count += 1
    this.min = Math.min(this.min, value)
    this.max = Math.max(this.max, value)
  }

  /**
   * Adds `count` values already bucketed elsewhere (a CloudWatch Logs Insights query computes the same index,
   * `floor(log2(value / 0.01) * 16) + 1`, 0 below 0.01 ms), whose least and greatest are `min` and `max`.
   */
  addBucket(index: number, count: number, min: number, max: number): void {
    const bucket = Math.min(SKETCH_BUCKETS - 1, Math.max(0, Math.floor(index)))
    this.#buckets[bucket] = (this.#buckets[bucket] as number) + count
    this.count += count
    this.min = Math.min(this.min, min)
    this.max = Math.max(this.max, max)
  }

  /** Adds every value of another sketch. */
  merge(other: DurationSketch): void {
    other.#buckets.forEach((count, index) => {
      this.#buckets[index] = (this.#buckets[index] as number) + count
    })
    this.count += other.count
    this.min = Math.min(this.min, other.min)
    this.max = Math.max(this.max, other.max)
  }

  /** Upper edge of the bucket holding the nearest-rank quantile, clamped to [min, max], to 0.01 ms. */
  quantile(fraction: number): number {
    const rank = Math.max(1, Math.ceil(fraction * this.count))
    let seen = 0
    let index = 0
    for (; index < SKETCH_BUCKETS - 1; index += 1) {
      seen += this.#buckets[index] as number
      if (seen >= rank) break
    }
    const upper = index === 0 ? SKETCH_FLOOR_MS : SKETCH_FLOOR_MS * 2 ** (index / SKETCH_PER_DOUBLING)
    return Math.round(Math.min(Math.max(upper, this.min), this.max) * 100) / 100
  }
}
