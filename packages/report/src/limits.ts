/**
 * What the report accepts from a line, so that no value can make it fail, stall or allocate without bound.
 * A line outside these ranges is skipped and counted (`invalid`, or `tooLong` for its length); the README's
 * "Limits" section lists them for users.
 */

/**
 * Longest line parsed, in UTF-16 code units: 256 KiB, CloudWatch's own limit for one log event (256 KB
 * including 26 bytes of overhead), so every line CloudWatch can hold fits. The reader never builds a
 * longer line: it keeps its first `MAX_LINE_CHARS + 1` code units and drops the rest up to the next `\n`.
 */
export const MAX_LINE_CHARS = 256 * 1024

/** Earliest timestamp read (2000-01-01T00:00:00Z): Lambda exists since 2014, anything before is a broken clock. */
export const EARLIEST_MS = Date.UTC(2000, 0, 1)

/** Latest timestamp read, exclusive (2100-01-01T00:00:00Z). */
export const LATEST_MS = Date.UTC(2100, 0, 1)

/** Longest `container_age_ms` and `idle_ms`: one year (an environment lives hours, at most days). */
export const MAX_DURATION_MS = 366 * 86_400_000

/** Highest `invocation` and `invocations`: a million requests a day for over 2,700 years. */
export const MAX_INVOCATIONS = 1e12

/** Highest `worker_id` (a thread id). */
export const MAX_WORKER_ID = 2 ** 31 - 1

/** A timestamp (epoch ms) the report reads. */
export const isSaneTime = (epochMs: number): boolean => epochMs >= EARLIEST_MS && epochMs < LATEST_MS

const within = (value: unknown, min: number, max: number, integer: boolean): boolean =>
  typeof value !== 'number' || (value >= min && value <= max && (!integer || Number.isInteger(value)))

const saneTimeText = (value: unknown): boolean =>
  typeof value !== 'string' || Number.isNaN(Date.parse(value)) || isSaneTime(Date.parse(value))

/**
 * Whether every number a lifecycle line carries is in its range. A key of another type is ignored by the
 * model (as a missing key would be); a number out of range marks the whole line as broken.
 */
export const hasSaneValues = (fields: Readonly<Record<string, unknown>>): boolean =>
  within(fields.container_age_ms, 0, MAX_DURATION_MS, false) &&
  within(fields.idle_ms, 0, MAX_DURATION_MS, false) &&
  within(fields.invocation, 1, MAX_INVOCATIONS, true) &&
  within(fields.invocations, 0, MAX_INVOCATIONS, true) &&
  within(fields.worker_id, 0, MAX_WORKER_ID, true) &&
  saneTimeText(fields.runtime_started_at)
