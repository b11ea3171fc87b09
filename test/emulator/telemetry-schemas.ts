/**
 * The Telemetry API's event schemas, written down as JSON schemas from AWS's published references:
 * the `Event` schema reference of 2022-07-01 (Lambda developer guide, telemetry-schema-reference), the
 * 2022-12-13 additions (function and instance on `platform.initStart`, a status and error type on
 * `platform.initReport` and `platform.initRuntimeDone`, `timeout` among the statuses) and 2025-01-29,
 * which keeps those records for on-demand functions (its OpenAPI definition, and the event types of
 * AWS's runtime interface emulator). Every record is checked strictly: a field the version does not
 * define is an error, so a record of a newer version sent to an older subscriber fails.
 */
import { Ajv, type ValidateFunction } from 'ajv'

type Version = '2022-07-01' | '2022-12-13' | '2025-01-29'
type Schema = Record<string, unknown>

const object = (required: string[], properties: Record<string, Schema>): Schema => ({
  type: 'object',
  required,
  properties,
  additionalProperties: false,
})

const string: Schema = { type: 'string' }
const integer: Schema = { type: 'integer', minimum: 0 }
const number: Schema = { type: 'number', minimum: 0 }

const span = object(['name', 'start', 'durationMs'], { name: string, start: string, durationMs: number })
const traceContext = object(['type', 'value'], {
  spanId: string,
  type: { enum: ['X-Amzn-Trace-Id'] },
  value: string,
})

const definitions = (version: Version): Record<string, Schema> => {
  const newer = version !== '2022-07-01'
  const status: Schema = {
    enum: newer ? ['success', 'failure', 'error', 'timeout'] : ['success', 'failure', 'error'],
  }
  const initType: Schema = {
    enum: ['on-demand', 'provisioned-concurrency', 'snap-start', 'lambda-managed-instances'],
  }
  const phase: Schema = { enum: ['init', 'invoke'] }
  const errorType = string
  return {
    'platform.initStart': object(
      newer
        ? ['initializationType', 'phase', 'functionName', 'functionVersion']
        : ['initializationType', 'phase'],
      {
        initializationType: initType,
        phase,
        runtimeVersion: string,
        runtimeVersionArn: string,
        ...(newer
          ? { functionName: string, functionVersion: string, instanceId: string, instanceMaxMemory: integer }
          : {}),
      },
    ),
    'platform.initRuntimeDone': object(['initializationType', 'phase', 'status'], {
      initializationType: initType,
      phase,
      status,
      errorType,
      spans: { type: 'array', items: span },
    }),
    'platform.initReport': object(
      newer
        ? ['initializationType', 'phase', 'status', 'metrics']
        : ['initializationType', 'phase', 'metrics'],
      {
        initializationType: initType,
        phase,
        metrics: object(['durationMs'], { durationMs: number }),
        spans: { type: 'array', items: span },
        ...(newer ? { status, errorType } : {}),
      },
    ),
    'platform.start': object(['requestId'], { requestId: string, version: string, tracing: traceContext }),
    'platform.runtimeDone': object(['requestId', 'status'], {
      requestId: string,
      status,
      errorType,
      metrics: object(['durationMs'], { durationMs: number, producedBytes: integer }),
      spans: { type: 'array', items: span },
      tracing: traceContext,
    }),
    'platform.report': object(['requestId', 'status', 'metrics'], {
      requestId: string,
      status,
      errorType,
      metrics: object(['durationMs', 'billedDurationMs', 'memorySizeMB', 'maxMemoryUsedMB'], {
        durationMs: number,
        billedDurationMs: integer,
        memorySizeMB: integer,
        maxMemoryUsedMB: integer,
        initDurationMs: number,
        restoreDurationMs: number,
        billedRestoreDurationMs: integer,
      }),
      spans: { type: 'array', items: span },
      tracing: traceContext,
    }),
    'platform.extension': object(['name', 'state', 'events'], {
      name: string,
      state: string,
      events: { type: 'array', items: { enum: ['INVOKE', 'SHUTDOWN'] } },
      ...(newer ? { errorType } : {}),
    }),
    'platform.telemetrySubscription': object(['name', 'state', 'types'], {
      name: string,
      state: string,
      types: { type: 'array', items: { enum: ['platform', 'function', 'extension'] } },
    }),
    'platform.logsDropped': object(['droppedBytes', 'droppedRecords', 'reason'], {
      droppedBytes: integer,
      droppedRecords: integer,
      reason: string,
    }),
    // A log line: the line with the Text format, its JSON object with the JSON format.
    function: { type: ['string', 'object'] },
    extension: { type: ['string', 'object'] },
  }
}

/** The schema of one `Event` of a version: `{ time, type, record }`, the record by its type. */
const eventSchema = (version: Version): Schema => ({
  type: 'object',
  required: ['time', 'type', 'record'],
  additionalProperties: false,
  properties: {
    time: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z$' },
    type: { enum: Object.keys(definitions(version)) },
    record: {},
  },
  allOf: Object.entries(definitions(version)).map(([type, record]) => ({
    if: { properties: { type: { const: type } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's conditional keyword
    then: { properties: { record } },
  })),
})

const ajv = new Ajv({ allErrors: true, strict: false })
const validators = new Map<Version, ValidateFunction>()

/** Validates one event against its version's schema; returns ajv's errors as text, or null when valid. */
export const telemetryProblems = (version: Version, event: unknown): string | null => {
  let validate = validators.get(version)
  if (validate === undefined) {
    validate = ajv.compile(eventSchema(version))
    validators.set(version, validate)
  }
  return validate(event) ? null : ajv.errorsText(validate.errors)
}
