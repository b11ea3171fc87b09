/**
 * The default classifier of connection-level failures: errors that say the resource (its socket, its
 * session) is dead, as opposed to errors of one operation (a bad query, a 404, a constraint violation),
 * after which the resource is still fine.
 */

/** Socket errors from Node (libuv) and undici that mean the connection is gone or unusable. */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
  // PostgreSQL SQLSTATEs: the server ended the session (57P01 admin shutdown, e.g. pg_terminate_backend;
  // 57P02 crash shutdown; 57P03 cannot connect now; 57P05 idle session timeout).
  '57P01',
  '57P02',
  '57P03',
  '57P05',
])

/** PostgreSQL SQLSTATE class 08: connection exceptions. */
const SQLSTATE_CONNECTION_CLASS = /^08[0-9A-Z]{3}$/

/** Messages of drivers that throw plain errors without a code when their connection dies. */
const CONNECTION_MESSAGES: readonly RegExp[] = [
  /connection terminated/i, // pg: 'Connection terminated unexpectedly', 'Connection terminated due to ...'
  /not queryable/i, // pg: 'Client has encountered a connection error and is not queryable'
  /socket hang up/i, // node:http
  /other side closed/i, // undici
  /write after end/i,
  /This socket has been ended by the other party/i,
]

/** How deep `cause` chains and AggregateErrors are followed (undici's `fetch failed` wraps its cause). */
const MAX_DEPTH = 4

/** What one error (not its causes) says about itself: its `code` and `message`, when they are strings. */
type Test = (code: string | undefined, message: string | undefined) => boolean

/** Applies `test` to the error, its `cause` chain and the inner errors of AggregateErrors. */
const matches = (error: unknown, test: Test, depth = 0): boolean => {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false
  const { code, message, cause, errors } = error as {
    code?: unknown
    message?: unknown
    cause?: unknown
    errors?: unknown
  }
  if (test(typeof code === 'string' ? code : undefined, typeof message === 'string' ? message : undefined)) {
    return true
  }
  if (Array.isArray(errors) && errors.some((inner) => matches(inner, test, depth + 1))) return true
  return matches(cause, test, depth + 1)
}

const isConnectionFailure: Test = (code, message) =>
  (code !== undefined && (CONNECTION_CODES.has(code) || SQLSTATE_CONNECTION_CLASS.test(code))) ||
  (message !== undefined && CONNECTION_MESSAGES.some((pattern) => pattern.test(message)))

/**
 * The default `isBroken` classifier: true for connection-level failures (socket resets, broken pipes,
 * timeouts, refused connections, PostgreSQL "terminating connection" and class-08 errors, pg's
 * "Connection terminated unexpectedly", undici's "other side closed"), following `cause` chains and
 * AggregateErrors. Compose it to add your own:
 *
 * @example
 * ```ts
 * warmPool({
 *   name: 'db',
 *   create,
 *   isBroken: (error) => isConnectionError(error) || (error as { code?: string }).code === 'PROTOCOL_CONNECTION_LOST',
 * })
 * ```
 */
export const isConnectionError = (error: unknown): boolean => matches(error, isConnectionFailure)

/**
 * Codes of a server that refuses a new connection because it has no room: PostgreSQL 53300
 * (too_many_connections: "sorry, too many clients already", "remaining connection slots are reserved"),
 * MySQL's 1040 and 1203 as the mysql2 driver names them.
 */
const BUSY_CODES: ReadonlySet<string> = new Set([
  '53300',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
])

/** The same refusals in the words of drivers that throw them without a code. */
const BUSY_MESSAGES: readonly RegExp[] = [
  /too many (clients|connections)/i,
  /remaining connection slots are reserved/i,
]

const isRefusal: Test = (code, message) =>
  (code !== undefined && BUSY_CODES.has(code)) ||
  (message !== undefined && BUSY_MESSAGES.some((pattern) => pattern.test(message)))

/**
 * The default `isBusy` classifier: true when the server refused a new connection because it is full
 * (PostgreSQL "sorry, too many clients already", SQLSTATE 53300; MySQL "Too many connections"), following
 * `cause` chains and AggregateErrors. Such an error says nothing against the resource: it is kept, and
 * the pool backs off instead (`backoffMs`).
 *
 * @example
 * ```ts
 * warmPool({
 *   name: 'db',
 *   create,
 *   isBusy: (error) => isServerBusyError(error) || /Timed-out waiting to acquire/.test(String(error)),
 * })
 * ```
 */
export const isServerBusyError = (error: unknown): boolean => matches(error, isRefusal)
