/** Public types of @lambda-lifetime/emulator. */

import type { AsyncInvokeOptions } from './async-invoke.js'
import type { CredentialsOption } from './credentials.js'
import type { HttpRoute } from './project/model.js'
import type { LoggingConfig } from './sandbox.js'
import type { TracingMode } from './trace.js'
import type { TraceRecord, TraceSegment, TraceSummary, XrayCounts, XrayLimits } from './xray.js'

export type { AsyncInvokeOptions } from './async-invoke.js'
export type { AssumeRoleOptions, CredentialsOption, StaticCredentials } from './credentials.js'
export type { LoggingConfig } from './sandbox.js'
export type { TracingMode } from './trace.js'
export type { TraceRecord, TraceSegment, TraceSummary, XrayCounts, XrayLimits } from './xray.js'

/** Managed Instances mode: one runtime with worker threads takes several invocations at once, never frozen. */
export interface ManagedInstancesOptions {
  /** `AWS_LAMBDA_MAX_CONCURRENCY`: invocations in flight per environment. Default 8. */
  readonly maxConcurrency?: number
  /** `AWS_LAMBDA_NODEJS_WORKER_COUNT`: runtime worker threads per environment. Default 2. */
  readonly workers?: number
  /** Environments started ahead (Managed Instances never start one on a request). Default 1. */
  readonly environments?: number
}

/** The lifetime rules; set once for the emulator, overridable per function. */
export interface LifetimeRules {
  /**
   * Reserved concurrency: most environments of a function busy at once; past it, 429
   * `ReservedFunctionConcurrentInvocationLimitExceeded`. Default none: the function shares the
   * account's unreserved concurrency (`accountConcurrency`).
   */
  readonly concurrency?: number
  /** An idle environment is shut down after this long. Default 300000 (5 min, as Lambda shows). */
  readonly idleTimeoutMs?: number
  /** An environment is retired after this age, busy or not (after its current invocation). Default 7200000 (2 h). */
  readonly maxLifetimeMs?: number
  /** Freeze (SIGSTOP) the runtime between invocations. Default true. */
  readonly freeze?: boolean
  /**
   * Let the function import or require the AWS SDK for JavaScript v3 (`@aws-sdk/*`, `@smithy/*`) without
   * shipping it, as Lambda's Node.js runtimes do; the copy installed with the emulator is used. Default true.
   */
  readonly provideAwsSdk?: boolean
  /** Environments initialized ahead with `AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`. Default 0. */
  readonly provisioned?: number
  /** Run in Managed Instances mode; `true` takes the defaults. Default false. */
  readonly managedInstances?: boolean | ManagedInstancesOptions
  /** Init limit of an on-demand environment; past it the init is retried inside the first invocation. Default 10000. */
  readonly initTimeoutMs?: number
  /** Time the runtime gets between SIGTERM and SIGKILL when an extension registered. Default 500. */
  readonly shutdownTimeoutMs?: number
}

/** One Lambda function. */
export interface FunctionConfig extends LifetimeRules {
  /** Retries and on-failure destination of `Event` invocations, over the emulator's `asyncInvoke`. */
  readonly asyncInvoke?: AsyncInvokeOptions
  /** Lambda's LoggingConfig, over the emulator's. */
  readonly loggingConfig?: LoggingConfig
  /** Lambda's `TracingConfig.Mode`, over the emulator's. */
  readonly tracing?: TracingMode
  /** Function name, as in the Invoke API path. */
  readonly name: string
  /** `_HANDLER`, e.g. `index.handler` (file `index.mjs`/`index.js` in `codeDir`, export `handler`). */
  readonly handler: string
  /** `LAMBDA_TASK_ROOT`: the directory of the handler file. */
  readonly codeDir: string
  /** Extra environment variables of the function. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * The function's `/opt/extensions`: every file in it starts as an external extension before the
   * runtime (see the README's Extensions section). Over the emulator's `extensionsDir`. Default none.
   */
  readonly extensionsDir?: string
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`. Default 128. */
  readonly memoryMb?: number
  /** Function timeout. Default 3000. */
  readonly timeoutMs?: number
  /**
   * The event the HTTP front door sends: `'2.0'` an HTTP API event, `'1.0'` a REST API (Lambda proxy)
   * event (`httpMethod`, `multiValueHeaders`…), whose function errors answer 502. Default `'2.0'`.
   */
  readonly payloadFormat?: '1.0' | '2.0'
}

/** Options of `startEmulator`. */
export interface EmulatorOptions extends LifetimeRules {
  /** The `/opt/extensions` of every function without its own `extensionsDir` (CLI `--extensions DIR`). */
  readonly extensionsDir?: string
  /** Retries and on-failure destination of `Event` invocations (Lambda's async invocation config). */
  readonly asyncInvoke?: AsyncInvokeOptions
  /** Lambda's LoggingConfig for every function: `{ logFormat: 'JSON', applicationLogLevel: 'WARN' }`. */
  readonly loggingConfig?: LoggingConfig
  /**
   * Lambda's `TracingConfig.Mode` for every function: `Active` samples each request that brings no
   * sampling decision of its own (`Sampled=1`), so the X-Ray SDK sends its segments; `PassThrough`
   * follows the caller only. Default `PassThrough`, as Lambda's.
   */
  readonly tracing?: TracingMode
  /**
   * The X-Ray daemon the runtimes send segments to (`AWS_XRAY_DAEMON_ADDRESS`): the emulator's own
   * receiver on loopback (port 0: any free one) keeping the last traces, or `false` to point the
   * runtimes at `127.0.0.1:2000` (a daemon of your own). Default `{ port: 0 }`.
   */
  readonly xray?: false | ({ readonly port?: number } & XrayLimits)
  /** The account's concurrency limit, shared by functions without a reservation. Default 100 (Lambda's: 1000). */
  readonly accountConcurrency?: number
  /**
   * Give each environment its own /tmp (a mount namespace; Linux as root), as Lambda does. Default
   * false: each environment has its own TMPDIR, but a hard-coded /tmp is the host's.
   */
  readonly privateTmp?: boolean
  /**
   * Limit each runtime and its processes to the function's memory size with a memory cgroup, as
   * Lambda does, where the machine lets the emulator make one under its own (Linux, cgroup v1 or a
   * delegated v2, the right to write it). Default true; false, or a machine without, samples the
   * processes' resident memory instead.
   */
  readonly memoryCgroups?: boolean
  /** AWS credentials of the functions: `'none'` (default), `'host'`, or `{ roleArn }` to assume. */
  readonly credentials?: CredentialsOption
  readonly functions: readonly FunctionConfig[]
  /** Interface the front doors listen on. Default `127.0.0.1`. */
  readonly host?: string
  /** Port of the Lambda Invoke API. Default 0 (any free port). */
  readonly port?: number
  /** Port of the HTTP front door (API Gateway HTTP API v2 events), or false for none. Default false. */
  readonly httpPort?: number | false
  /** Function behind the HTTP front door. Default: the first one. */
  readonly httpFunction?: string
  /**
   * Path prefixes of the HTTP front door and the function each goes to (`{ '/hello': 'hello' }`: `/hello`
   * and `/hello/…`); the longest prefix wins, other paths go to `httpFunction`. Default none.
   */
  readonly httpRoutes?: Readonly<Record<string, string>>
  /**
   * API Gateway routes of a project (`loadProject(...).routes`): when given, the HTTP front door matches
   * each request as API Gateway does (methods, `{param}`, `{proxy+}`, `$default`) and sends a payload 2.0
   * (HTTP API, Function URL) or 1.0 (REST API) event with the matched route; a miss answers as API
   * Gateway does. `httpRoutes` and `httpFunction` are then not used.
   */
  readonly apiRoutes?: readonly HttpRoute[]
  /** Directory of the log stream files. Default `.lambda-lifetime/logs` in the working directory. */
  readonly logDir?: string
  /** `AWS_REGION`. Default `us-east-1`. */
  readonly region?: string
  /** Account id in ARNs. Default `000000000000`. */
  readonly accountId?: string
  /** Most `Event` invocations accepted and not yet finished; past it, 429 with the reason. Default 1000. */
  readonly maxQueuedEvents?: number
  /** Most payload bytes of those Events. Default 67108864 (64 MB). */
  readonly maxQueuedEventBytes?: number
  /** Serve the dashboard page at the Invoke API's `/` (`dashboardUrl`). Default true. */
  readonly dashboard?: boolean
  /** Called for every emulator event (live view, demos, tests). A listener that throws is ignored. */
  readonly onEvent?: (event: EmulatorEvent) => void
}

/** Where an environment is in its life. */
export type EnvironmentState = 'initializing' | 'idle' | 'busy' | 'shutting-down' | 'stopped'

/** `AWS_LAMBDA_INITIALIZATION_TYPE` the emulator sets. */
export type EmulatorInitType = 'on-demand' | 'provisioned-concurrency' | 'lambda-managed-instances'

/** Why an environment was shut down. */
/** `redeploy`: the function's code changed (hot reload) and this environment ran the old code. */
export type ShutdownReason = 'idle' | 'max-lifetime' | 'init-failed' | 'stop' | 'redeploy'

/** A snapshot of one environment. */
export interface EnvironmentInfo {
  /** The log stream name, `YYYY/MM/DD/[$LATEST]<32 hex>`: the environment's identity. */
  readonly id: string
  readonly functionName: string
  readonly state: EnvironmentState
  readonly frozen: boolean
  readonly initType: EmulatorInitType
  /** Process id of the current runtime process (also its process group id), null when none runs. */
  readonly pid: number | null
  /** Runtime processes started so far: above 1 after a crash or timeout reset. */
  readonly runtimes: number
  /** Invocations finished or in flight in this environment. */
  readonly invocations: number
  readonly inFlight: number
  /** Names of the extensions the current runtime registered. */
  readonly extensions: readonly string[]
  /** Epoch milliseconds. */
  readonly createdAt: number
  /** Epoch milliseconds of the last invocation end, null before the first. */
  readonly lastInvocationEndAt: number | null
  readonly tmpDir: string
  readonly logFile: string
}

/** How an invocation ended. */
export type InvocationOutcome = 'success' | 'error' | 'timeout' | 'crash' | 'init-error'

/**
 * What the answer was, for people: `client-error` when the function answered an HTTP 4xx,
 * `error` when it answered a 5xx or failed (any outcome but success), else `success`.
 */
export type InvocationAnswer = 'success' | 'client-error' | 'error'

/** Events the emulator reports through `onEvent` and `subscribe`. */
export type EmulatorEvent =
  | { readonly type: 'environment.start'; readonly at: number; readonly environment: EnvironmentInfo }
  | {
      readonly type: 'environment.ready'
      readonly at: number
      readonly environment: EnvironmentInfo
      readonly initDurationMs: number
    }
  | {
      readonly type: 'environment.init-failed'
      readonly at: number
      readonly environment: EnvironmentInfo
      readonly reason: 'error' | 'timeout' | 'exit'
      readonly errorType: string
    }
  | { readonly type: 'environment.freeze'; readonly at: number; readonly environment: EnvironmentInfo }
  | { readonly type: 'environment.thaw'; readonly at: number; readonly environment: EnvironmentInfo }
  | {
      readonly type: 'environment.reset'
      readonly at: number
      readonly environment: EnvironmentInfo
      readonly reason: 'timeout' | 'crash'
    }
  | {
      readonly type: 'environment.shutdown'
      readonly at: number
      readonly environment: EnvironmentInfo
      readonly reason: ShutdownReason
      readonly signal: 'SIGTERM' | 'SIGKILL'
    }
  | { readonly type: 'environment.stopped'; readonly at: number; readonly environment: EnvironmentInfo }
  | {
      readonly type: 'invocation.start'
      readonly at: number
      readonly environment: EnvironmentInfo
      readonly requestId: string
      /** The `Lambda-Runtime-Trace-Id` the runtime got (`Root=…;Parent=…;Sampled=…`). */
      readonly traceId?: string
    }
  | {
      readonly type: 'invocation.end'
      readonly at: number
      readonly environment: EnvironmentInfo
      readonly requestId: string
      readonly durationMs: number
      readonly outcome: InvocationOutcome
      /** Set by the emulator when it saw the answer (every invocation it started). */
      readonly answer?: InvocationAnswer
      /** The `statusCode` of an HTTP-shaped answer (`{ statusCode, … }`), if the function gave one. */
      readonly statusCode?: number
      /** `errorType: errorMessage` of a failed invocation, as the caller got it. */
      readonly error?: string
      /** `Max Memory Used` of its REPORT line (MB); null when nothing could be read. */
      readonly maxMemoryUsedMb?: number | null
    }
  | {
      readonly type: 'invocation.throttle'
      readonly at: number
      readonly functionName: string
      /** Lambda's `Reason`, e.g. `ConcurrentInvocationLimitExceeded`. */
      readonly reason?: string
      /** What was at its limit. */
      readonly message?: string
    }
  | {
      /** The X-Ray receiver kept a segment (the SDK's, or Lambda's own for a sampled invocation). */
      readonly type: 'trace.segment'
      readonly at: number
      /** The function whose invocation the trace went through, null when none of this run. */
      readonly functionName: string | null
      readonly environmentId: string | null
      readonly segment: TraceSegment
    }
  /** Something about the whole emulator a person should know (the credentials in use, say). */
  | { readonly type: 'emulator.notice'; readonly at: number; readonly message: string }
  | {
      /** A failed `Event` invocation will run again (same request id) after `delayMs`. */
      readonly type: 'invocation.retry'
      readonly at: number
      readonly functionName: string
      readonly requestId: string
      /** The attempt that will run: 2 or 3. */
      readonly attempt: number
      readonly delayMs: number
    }
  | {
      /** A failed `Event` invocation was given up: sent to the on-failure destination, or dropped. */
      readonly type: 'invocation.failed-event'
      readonly at: number
      readonly functionName: string
      readonly requestId: string
      readonly condition: 'RetriesExhausted' | 'EventAgeExceeded'
      /** The file or URL the record went to; null when no destination is configured. */
      readonly destination: string | null
      /** Why the destination did not take it. */
      readonly error?: string
    }

/** Options of `emulator.invoke`. */
export interface InvokeOptions {
  /** `RequestResponse` waits for the result; `Event` queues it and returns at once. Default `RequestResponse`. */
  readonly type?: 'RequestResponse' | 'Event'
  /** Return the last 4 KB of the invocation's log (base64, as `X-Amz-Log-Result`). Default false. */
  readonly tail?: boolean
  /** Client context object, passed as `Lambda-Runtime-Client-Context`. */
  readonly clientContext?: unknown
  /**
   * Called as soon as the function starts a streamed response, to pass it on while it is written
   * (the HTTP front door serves it as a Function URL does); the result's payload is then empty.
   * Default: a streamed response is collected into the payload, as Invoke does.
   */
  readonly onResponseStream?: (stream: ResponseStream) => void
  /** The caller's `X-Amzn-Trace-Id`: its Root and Sampled are kept, the Parent is new. Default: a new trace. */
  readonly traceHeader?: string
}

/**
 * A response the function streams (`awslambda.streamifyResponse`): its content type
 * (`application/vnd.awslambda.http-integration-response` when it starts with a JSON prelude and eight
 * NUL bytes, as `awslambda.HttpResponseStream.from` writes) and its bytes as the runtime writes them.
 * The body ends with an error when the function failed mid-stream or passed the size limit.
 */
export interface ResponseStream {
  readonly contentType: string
  readonly body: import('node:stream').Readable
}

/** The result of one invocation, shaped like the Invoke API's answer. */
export interface InvokeResult {
  /** 200 (sync) or 202 (Event). */
  readonly statusCode: number
  readonly requestId: string
  /** The function's response (or error) as the raw JSON text; empty for Event. */
  readonly payload: string
  /** `Unhandled` when the function failed, as `X-Amz-Function-Error`. */
  readonly functionError?: 'Unhandled'
  /** Base64 of the last 4 KB of the invocation's log, when `tail` was asked. */
  readonly logResult?: string
  /** The environment (log stream) that ran it, null for Event. */
  readonly environmentId: string | null
}

/** A running emulator. */
export interface Emulator {
  /** Base URL of the Lambda Invoke API: the `endpoint` of a `LambdaClient`. */
  readonly invokeUrl: string
  /** Base URL of the HTTP front door, null when disabled. */
  readonly httpUrl: string | null
  /** The dashboard page (the Invoke API's `/`), null when disabled with `dashboard: false`. */
  readonly dashboardUrl: string | null
  readonly logDir: string
  /** Snapshots of the live environments (stopped ones are dropped). */
  environments(functionName?: string): EnvironmentInfo[]
  /** Invokes a function in process (same rules as the Invoke API). */
  invoke(functionName: string, payload?: unknown, options?: InvokeOptions): Promise<InvokeResult>
  /** Adds an event listener; returns the unsubscribe function. */
  subscribe(listener: (event: EmulatorEvent) => void): () => void
  /** The names of the functions it serves, in the order given. */
  readonly functionNames: readonly string[]
  /** The X-Ray receiver's traces and counts; null with `xray: false`. */
  readonly xray: EmulatorXray | null
  /**
   * Deploys new code for a function, as a Lambda deploy does: the next invocation starts a new
   * environment (a cold start) with `config`; environments of the old code take no new invocation,
   * finish what they run and are shut down by the SIGTERM rules (reason `redeploy`).
   */
  redeploy(config: FunctionConfig): Promise<RedeploySummary>
  /**
   * Closes the servers and shuts every environment down (Lambda's rules: SIGTERM only with an
   * extension). Accepted `Event` invocations that had not started are not run: they are written as
   * JSON files (`<logDir>/<function>/unrun-events/<requestId>.json`) and counted in the summary.
   */
  stop(): Promise<StopSummary>
}

/** What `redeploy()` did. */
export interface RedeploySummary {
  /** Environments of the old code now finishing their work before their shutdown. */
  readonly draining: number
}

/** What `stop()` left undone. */
export interface StopSummary {
  /** Accepted `Event` invocations that never started. */
  readonly unrunEvents: number
  /** The files they were written to. */
  readonly unrunEventFiles: readonly string[]
}

/** What the emulator's X-Ray receiver holds. */
export interface EmulatorXray {
  /** `host:port` the runtimes send to (`AWS_XRAY_DAEMON_ADDRESS`). */
  readonly address: string
  readonly counts: XrayCounts
  /** The last traces, newest first; of one function when it is named. */
  traces(functionName?: string): TraceSummary[]
  /** One trace with its segments, null when it is not (or no longer) kept. */
  trace(traceId: string): TraceRecord | null
}
