/**
 * The X-Ray trace header Lambda hands to the runtime (`Lambda-Runtime-Trace-Id`, `_X_AMZN_TRACE_ID`):
 * `Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0|1`. The X-Ray SDK and Powertools
 * Tracer log an error when Parent is missing, so it is always there. A caller's `X-Amzn-Trace-Id` is
 * followed: its Root and sampling decision are kept, and the Parent is new (the function's segment).
 * With Active tracing a request that brings no decision is sampled (Lambda samples the first request
 * each second and 5% of the rest; locally every one is, so that every invocation can be looked at).
 */
import { randomBytes } from 'node:crypto'

/** Lambda's `TracingConfig.Mode`. */
export type TracingMode = 'Active' | 'PassThrough'

/** The parts of a trace header this emulator reads. */
export interface TraceHeader {
  readonly root: string
  readonly parent: string
  readonly sampled: '0' | '1'
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/
const SAMPLED = /^[01]$/

const newRoot = (): string =>
  `1-${Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`

/**
 * The header for one invocation: a new trace, or the caller's trace (when its Root is well-formed)
 * with a new Parent. A malformed caller header is ignored, as Lambda starts a new trace then. Without
 * a decision from the caller, `Active` tracing samples the request and `PassThrough` does not.
 *
 * @example
 * ```ts
 * traceHeaderFor('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1')
 * // { root: '1-5759e988-bd862e3fe1be46a994272793', parent: '<16 new hex>', sampled: '1' }
 * traceHeaderFor(undefined, 'Active') // { root: '1-<now>-<24 new hex>', parent: '<16 new hex>', sampled: '1' }
 * ```
 */
export const traceHeaderFor = (
  callerHeader: string | null | undefined,
  tracing: TracingMode = 'PassThrough',
): TraceHeader => {
  const fields = new Map<string, string>()
  for (const part of (callerHeader ?? '').split(';')) {
    const equals = part.indexOf('=')
    if (equals > 0) fields.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim())
  }
  const callerRoot = fields.get('root')
  const followed = callerRoot !== undefined && ROOT.test(callerRoot)
  const callerSampled = fields.get('sampled')
  return {
    root: followed ? callerRoot : newRoot(),
    parent: randomBytes(8).toString('hex'),
    sampled:
      followed && callerSampled !== undefined && SAMPLED.test(callerSampled)
        ? (callerSampled as '0' | '1')
        : tracing === 'Active'
          ? '1'
          : '0',
  }
}

/**
 * The header as text.
 *
 * @example
 * ```ts
 * formatTraceHeader({ root: '1-5759e988-bd862e3fe1be46a994272793', parent: '53995c3f42cd8ad8', sampled: '0' })
 * // 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0'
 * ```
 */
export const formatTraceHeader = ({ root, parent, sampled }: TraceHeader): string =>
  `Root=${root};Parent=${parent};Sampled=${sampled}`
