/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) as a route: function names
 * and qualifiers, invocation and log types, client context and payload checks, with Lambda's error
 * codes and reasons.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRecord } from '@lambda-lifetime/commons'
import { InvokeApiError, reasonOf } from './errors.js'
import { answerWithResponseStream } from './event-stream.js'
import { leaveBodyUnread, readBody, requestTarget } from './http-server.js'
import type { EnvironmentInfo, InvokeOptions, InvokeResult } from './types.js'

/** Lambda's request payload limits: 6 MB synchronous, 1 MB asynchronous. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024
/** Lambda's limit on `X-Amz-Client-Context` (base64 text). */
export const MAX_CLIENT_CONTEXT_BYTES = 3583

/** What the Invoke API needs from the emulator behind it. */
export interface InvokeBackend {
  readonly region: string
  readonly accountId: string
  hasFunction(name: string): boolean
  invokeRaw(functionName: string, payload: string, options?: InvokeOptions): Promise<InvokeResult>
  environments(): EnvironmentInfo[]
}

/** A function reference as the Invoke API path carries it. */
export interface FunctionReference {
  readonly name: string
  readonly qualifier: string | null
  readonly region: string | null
  readonly accountId: string | null
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/
/** InvokeWithResponseStream's path. */
const STREAM_PATH = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/
const NAME = '[A-Za-z0-9_.-]{1,140}'
const QUALIFIER = '\\$LATEST|[A-Za-z0-9_-]{1,128}'
const FULL_ARN = new RegExp(
  `^arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\\d+):(\\d{12}):function:(${NAME})(?::(${QUALIFIER}))?$`,
)
const PARTIAL = new RegExp(`^(?:(\\d{12}):function:)?(${NAME})(?::(${QUALIFIER}))?$`)

/**
 * Reads a function reference as Lambda does: `name`, `name:qualifier`, a partial ARN
 * `123456789012:function:name[:qualifier]` or a full ARN. `function` is a name like any other unless
 * the string is an ARN.
 *
 * @example
 * ```ts
 * parseFunctionReference('hello:prod') // { name: 'hello', qualifier: 'prod', region: null, accountId: null }
 * ```
 */
export const parseFunctionReference = (pathPart: string): FunctionReference => {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathPart)
  } catch {
    throw new InvokeApiError(
      'ValidationException',
      400,
      `The function name is not valid percent-encoding: ${pathPart}`,
    )
  }
  const full = FULL_ARN.exec(decoded)
  if (full) {
    const [, region, accountId, name, qualifier] = full as unknown as string[]
    return {
      name: name as string,
      qualifier: qualifier ?? null,
      region: region as string,
      accountId: accountId as string,
    }
  }
  const partial = decoded.startsWith('arn:') ? null : PARTIAL.exec(decoded)
  if (partial) {
    const [, accountId, name, qualifier] = partial as unknown as string[]
    return { name: name as string, qualifier: qualifier ?? null, region: null, accountId: accountId ?? null }
  }
  throw new InvokeApiError(
    'ValidationException',
    400,
    `1 validation error detected: Value '${decoded.slice(0, 200)}' at 'functionName' failed to satisfy constraint: it must be a function name, a name with a qualifier, or a function ARN`,
  )
}

/**
 * Checks a reference against the functions the emulator serves: only `$LATEST` (or no qualifier)
 * runs, in the emulator's own region and account, as Lambda answers for a version it does not have.
 */
export const resolveFunctionReference = (
  reference: FunctionReference,
  queryQualifier: string | null,
  backend: Pick<InvokeBackend, 'region' | 'accountId' | 'hasFunction'>,
): string => {
  if (queryQualifier !== null && reference.qualifier !== null && queryQualifier !== reference.qualifier) {
    throw new InvokeApiError(
      'InvalidParameterValueException',
      400,
      'The derived qualifier from the function name does not match the specified qualifier.',
    )
  }
  const qualifier = reference.qualifier ?? queryQualifier
  const region = reference.region ?? backend.region
  const accountId = reference.accountId ?? backend.accountId
  const known =
    backend.hasFunction(reference.name) &&
    region === backend.region &&
    accountId === backend.accountId &&
    (qualifier === null || qualifier === '$LATEST')
  if (!known) {
    const arn = `arn:aws:lambda:${region}:${accountId}:function:${reference.name}${qualifier === null ? '' : `:${qualifier}`}`
    throw new InvokeApiError('ResourceNotFoundException', 404, `Function not found: ${arn}`)
  }
  return reference.name
}

/**
 * JSON with every character outside printable ASCII escaped: the same value, and safe in an HTTP
 * header (Node refuses header characters above U+00FF, and the runtime reads headers as Latin-1).
 *
 * @example
 * ```ts
 * asciiJson({ city: 'Zürich' }) // '{"city":"Z\\u00fcrich"}'
 * ```
 */
export const asciiJson = (value: unknown): string =>
  (JSON.stringify(value) ?? 'null').replace(
    /[^\x20-\x7e]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const utf8 = new TextDecoder('utf-8', { fatal: true })
const BAD_CLIENT_CONTEXT = 'Client context must be a valid Base64-encoded JSON object.'

/**
 * The SDK sends the client context as base64 of UTF-8 JSON (an object, at most 3583 bytes of base64);
 * anything else is Lambda's InvalidRequestContentException with the reason.
 *
 * @example
 * ```ts
 * decodeClientContext(Buffer.from('{"custom":{"a":"€"}}').toString('base64')) // { custom: { a: '€' } }
 * ```
 */
export const decodeClientContext = (
  header: string | string[] | undefined,
): Record<string, unknown> | undefined => {
  if (header === undefined || header === '') return undefined
  const refuse = (reason: string): never => {
    throw new InvokeApiError('InvalidRequestContentException', 400, `${BAD_CLIENT_CONTEXT} ${reason}`)
  }
  if (typeof header !== 'string') return refuse('The header was sent more than once.')
  if (header.length > MAX_CLIENT_CONTEXT_BYTES)
    return refuse(`It is ${header.length} bytes; the limit is ${MAX_CLIENT_CONTEXT_BYTES}.`)
  if (!BASE64.test(header)) return refuse('It is not base64.')
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(Buffer.from(header, 'base64')))
  } catch (error) {
    return refuse(`Its decoded text is not UTF-8 JSON (${(error as Error).message}).`)
  }
  return isRecord(value) ? value : refuse('Its JSON is not an object.')
}

/**
 * Where a byte sequence stops being UTF-8, described as Lambda's JSON parser does, or null when all
 * of it is UTF-8.
 */
export const invalidUtf8 = (bytes: Buffer): string | null => {
  let at = 0
  while (at < bytes.length) {
    const lead = bytes[at] as number
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead < 0xe0
          ? 2
          : lead >= 0xe0 && lead < 0xf0
            ? 3
            : lead >= 0xf0 && lead < 0xf5
              ? 4
              : 0
    if (length === 0) return `Invalid UTF-8 start byte 0x${lead.toString(16)} at byte ${at}`
    const sequence = bytes.subarray(at, at + length)
    for (let index = 1; index < length; index++) {
      const next = sequence[index]
      if (next === undefined) return `Invalid UTF-8: the text ends inside a character at byte ${at}`
      if ((next & 0xc0) !== 0x80)
        return `Invalid UTF-8 middle byte 0x${next.toString(16)} at byte ${at + index}`
    }
    try {
      utf8.decode(sequence)
    } catch {
      // Overlong forms and surrogates pass the shape test above.
      return `Invalid UTF-8 sequence at byte ${at}`
    }
    at += length
  }
  return null
}

/**
 * The payload as JSON text, or Lambda's InvalidRequestContentException: the body must be UTF-8 JSON
 * (an empty body is `{}`); bytes are never silently replaced.
 */
export const payloadText = (body: Buffer): string => {
  if (body.length === 0) return '{}'
  const refuse = (reason: string): never => {
    throw new InvokeApiError(
      'InvalidRequestContentException',
      400,
      `Could not parse request body into json: Could not parse payload into json: ${reason}`,
    )
  }
  let text = ''
  try {
    text = utf8.decode(body)
  } catch {
    // The decoder refused, so the scan finds where.
    refuse(invalidUtf8(body) as string)
  }
  try {
    JSON.parse(text)
  } catch (error) {
    refuse((error as Error).message)
  }
  return text
}

const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const
type InvocationType = (typeof INVOCATION_TYPES)[number]

const oneHeader = (request: IncomingMessage, name: string, fallback: string): string => {
  // Node joins a repeated header of this kind into one string.
  const value = request.headers[name]
  return typeof value === 'string' ? value : fallback
}

const answerInvocation = (response: ServerResponse, result: InvokeResult): void => {
  response.writeHead(result.statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(result.payload),
    'x-amzn-RequestId': result.requestId,
    // Lambda names the version that ran only on a synchronous answer.
    ...(result.statusCode === 200 ? { 'X-Amz-Executed-Version': '$LATEST' } : {}),
    ...(result.functionError ? { 'X-Amz-Function-Error': result.functionError } : {}),
    ...(result.logResult === undefined ? {} : { 'X-Amz-Log-Result': result.logResult }),
  })
  response.end(result.payload)
}

/**
 * Answers a failed request as Lambda does: the error code in `x-amzn-ErrorType`, the reason in the
 * JSON body's `message`. Anything that is not an InvokeApiError is the emulator's own fault (500).
 *
 * @example
 * ```ts
 * sendInvokeError(response, new InvokeApiError('ResourceNotFoundException', 404, 'Function not found: …'))
 * ```
 */
export const sendInvokeError = (response: ServerResponse, error: unknown): void => {
  const failure =
    error instanceof InvokeApiError
      ? error
      : new InvokeApiError('ServiceException', 500, `The emulator failed: ${reasonOf(error)}`)
  const body = JSON.stringify({
    Type: failure.statusCode >= 500 ? 'Service' : 'User',
    message: failure.message,
    ...(failure.reason === undefined ? {} : { Reason: failure.reason }),
  })
  response.writeHead(failure.statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-ErrorType': failure.code,
    'x-amzn-RequestId': randomUUID(),
  })
  response.end(body)
}

/**
 * A request a web page made: browsers send `Origin` with every POST, the AWS SDK and curl never do. A
 * page of another site must not invoke the developer's local functions (a blind cross-site POST needs
 * no CORS answer to reach the server), so only the emulator's own origin may.
 */
const refuseOtherOrigins = (request: IncomingMessage): void => {
  const origin = request.headers.origin
  if (origin === undefined) return
  const host = request.headers.host
  let originHost: string | null
  try {
    originHost = new URL(origin).host
  } catch {
    originHost = null
  }
  if (originHost !== null && originHost === host) return
  throw new InvokeApiError(
    'AccessDeniedException',
    403,
    `A web page at ${String(origin).slice(0, 100)} may not call the local Invoke API (requests from the AWS SDK or curl carry no Origin)`,
  )
}

/**
 * The Invoke API route (plus `GET /_lambda-lifetime/environments`); failures are thrown as
 * InvokeApiError for `serveRoute` to answer with `sendInvokeError`.
 */
export const invokeApiRoute =
  (backend: InvokeBackend) =>
  async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = requestTarget(request.url)
    if (target === null) {
      throw new InvokeApiError(
        'ValidationException',
        400,
        `The request target is not a valid URL: ${request.url}`,
      )
    }
    const streamMatch = STREAM_PATH.exec(target.pathname)
    const match = INVOKE_PATH.exec(target.pathname) ?? streamMatch
    if (request.method !== 'POST' || !match) {
      leaveBodyUnread(request, response)
      if (request.method === 'GET' && target.pathname === '/_lambda-lifetime/environments') {
        response.writeHead(200, { 'Content-Type': 'application/json' })
        response.end(JSON.stringify(backend.environments()))
        return
      }
      throw new InvokeApiError(
        'UnknownOperationException',
        404,
        `Unknown operation ${request.method} ${target.pathname}`,
      )
    }
    refuseOtherOrigins(request)
    const type = oneHeader(request, 'x-amz-invocation-type', 'RequestResponse')
    const logType = oneHeader(request, 'x-amz-log-type', 'None')
    if (!INVOCATION_TYPES.includes(type as InvocationType) || (streamMatch !== null && type === 'Event'))
      throw new InvokeApiError('InvalidParameterValueException', 400, `Unsupported invocation type: ${type}`)
    if (logType !== 'None' && logType !== 'Tail')
      throw new InvokeApiError('InvalidParameterValueException', 400, `Unsupported log type: ${logType}`)
    const functionName = resolveFunctionReference(
      parseFunctionReference(match[1] as string),
      target.searchParams.get('Qualifier'),
      backend,
    )
    // Lambda passes the client context to synchronous invocations only; a bad one is refused for all.
    const clientContext = decodeClientContext(request.headers['x-amz-client-context'])
    const limit = type === 'Event' ? MAX_EVENT_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES
    const body = await readBody(request, response, limit)
    if (body === null) {
      const operation = type === 'Event' ? 'InvokeAsync' : 'InvokeFunction'
      throw new InvokeApiError(
        'RequestEntityTooLargeException',
        413,
        `Request must be smaller than ${limit} bytes for the ${operation} operation`,
      )
    }
    const payload = payloadText(body)
    if (type === 'DryRun') {
      answerInvocation(response, {
        statusCode: 204,
        requestId: randomUUID(),
        payload: '',
        environmentId: null,
      })
      return
    }
    const options: InvokeOptions = {
      type: type as 'RequestResponse' | 'Event',
      tail: logType === 'Tail',
      ...(typeof request.headers['x-amzn-trace-id'] === 'string'
        ? { traceHeader: request.headers['x-amzn-trace-id'] }
        : {}),
      ...(type === 'Event' || clientContext === undefined ? {} : { clientContext }),
    }
    if (streamMatch !== null) {
      await answerWithResponseStream(response, (streaming) =>
        backend.invokeRaw(functionName, payload, { ...options, ...streaming }),
      )
      return
    }
    answerInvocation(response, await backend.invokeRaw(functionName, payload, options))
  }
