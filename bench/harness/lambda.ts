/** What a warm invocation needs outside the code under test: a Lambda context, an event, a log sink. */
import { Console } from 'node:console'
import { Writable } from 'node:stream'
import { Logger } from '@aws-lambda-powertools/logger'

let sequence = 0

/*
 * Shared, not one closure per context: tsx compiles this file with esbuild's keepNames, which wraps every
 * closure created at run time in a defineProperty call (~0.8 µs each), a cost no middleware should carry.
 */
const remainingTime = () => 3_000
const noop = () => undefined

/** A fresh Lambda context per invocation, as the runtime passes it. */
export const lambdaContext = () => ({
  awsRequestId: `bench-${++sequence}`,
  functionName: 'bench-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench-function',
  memoryLimitInMB: '128',
  logGroupName: '/aws/lambda/bench-function',
  logStreamName: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: remainingTime,
  done: noop,
  fail: noop,
  succeed: noop,
})

/** A small API Gateway-shaped event. */
export const apiEvent = () => ({
  rawPath: '/items/42',
  requestContext: { http: { method: 'GET' }, requestId: 'req' },
  headers: { accept: 'application/json' },
})

/** Counts what it swallows, so a case can check that the lines it times were really written. */
export class NullSink extends Writable {
  lines = 0
  bytes = 0
  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ) {
    this.lines++
    this.bytes += chunk.length
    callback()
  }
}

/**
 * A Powertools Logger whose lines go through its usual JSON serialisation and Console, into a sink that
 * drops them: the hot path without the terminal, the same for the anchor and for our logger.
 */
export const quietLogger = (sink: NullSink, serviceName = 'bench'): Logger => {
  const logger = new Logger({ serviceName, logLevel: 'INFO' })
  ;(logger as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink })
  return logger
}

/** Runs `count` invocations of a handler one after another, each with a fresh event and context. */
export const invokeMany =
  (handler: (event: unknown, context: never) => Promise<unknown>, count: number) =>
  async (): Promise<void> => {
    for (let i = 0; i < count; i++) await handler(apiEvent(), lambdaContext() as never)
  }
