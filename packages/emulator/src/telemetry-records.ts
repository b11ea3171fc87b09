/**
 * Telemetry API events as each schema version writes them. The platform makes every record once, in
 * the newest shape (2022-12-13, which 2025-01-29 keeps for these events); a subscriber that asked for
 * 2022-07-01 gets the fields that version had, and its three statuses.
 */
import type { TelemetrySchemaVersion, TelemetryType } from './telemetry-subscription.js'

/** One event as the platform made it: its category (which subscribers want it) and its record. */
export interface TelemetryEvent {
  readonly category: TelemetryType
  readonly time: string
  readonly type: string
  /** An object for platform events and JSON log lines; the line itself for text log lines. */
  readonly record: Readonly<Record<string, unknown>> | string
}

/** The fields of each platform record in schema 2022-07-01 (the Telemetry API's first event reference). */
const FIELDS_2022_07_01: Readonly<Record<string, readonly string[]>> = {
  'platform.initStart': ['initializationType', 'phase', 'runtimeVersion', 'runtimeVersionArn'],
  'platform.initRuntimeDone': ['initializationType', 'phase', 'status', 'errorType', 'spans'],
  'platform.initReport': ['initializationType', 'phase', 'metrics', 'spans'],
  'platform.extension': ['name', 'state', 'events'],
}

/** 2022-07-01 knew `success`, `failure` and `error`; a timeout was an error with its type. */
const STATUSES_2022_07_01 = new Set(['success', 'failure', 'error'])

const pick = (record: Readonly<Record<string, unknown>>, fields: readonly string[]) =>
  Object.fromEntries(Object.entries(record).filter(([key]) => fields.includes(key)))

const olderRecord = (type: string, record: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const fields = FIELDS_2022_07_01[type]
  const kept = fields === undefined ? { ...record } : pick(record, fields)
  if (typeof kept.status === 'string' && !STATUSES_2022_07_01.has(kept.status)) {
    kept.status = 'error'
    kept.errorType ??= 'Sandbox.Timedout'
  }
  return kept
}

/**
 * The event as a subscriber of `version` receives it: `{ time, type, record }`.
 *
 * @example
 * ```ts
 * const event = { category: 'platform', time: '2026-12-04T18:00:00.000Z', type: 'platform.initStart',
 *   record: { initializationType: 'on-demand', phase: 'init', functionName: 'hello' } } as const
 * versionedEvent(event, '2022-07-01').record // { initializationType: 'on-demand', phase: 'init' }
 * ```
 */
export const versionedEvent = (
  event: TelemetryEvent,
  version: TelemetrySchemaVersion,
): { time: string; type: string; record: unknown } => {
  const { time, type, record } = event
  if (version !== '2022-07-01' || typeof record === 'string' || event.category !== 'platform') {
    return { time, type, record }
  }
  return { time, type, record: olderRecord(type, record) }
}
