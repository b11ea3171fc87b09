/**
 * The `lambda-lifetime` command: `serve` runs functions on the emulator, `invoke` calls one through a
 * running emulator's Invoke API, `event` prints a sample event, `logs` follows the log streams,
 * `report` hands over to `@lambda-lifetime/report` when it is installed.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs, styleText } from 'node:util'
import { MAX_TIMER_MS } from '@lambda-lifetime/commons'
import { suggestedPath } from './banner.js'
import { startDevServer } from './dev-server.js'
import { startEmulator } from './emulator.js'
import { reasonOf } from './errors.js'
import { eventOptionsFromFlags, readEventInput } from './events/input.js'
import { EVENT_SOURCES, sampleEvent } from './events/samples.js'
import { emulatorOptionsProblem, MAX_FUNCTION_TIMEOUT_MS } from './options.js'
import { payloadFormatFlag } from './payload-format.js'
import { findProjectFile } from './project/template.js'
import { followLogs, formatSegmentLine } from './terminal-logs.js'
import type {
  Emulator,
  EmulatorEvent,
  EmulatorOptions,
  FunctionConfig,
  StopSummary,
  TracingMode,
} from './types.js'
import { type AnswerCounts, countAnswer, describeEvent, renderEnvironments } from './view.js'

/** Where the command writes, and what stops `serve` (SIGINT/SIGTERM/SIGHUP by default). */
export interface CliIo {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean }
  readonly err: NodeJS.WritableStream
  readonly signal?: AbortSignal
  /** Standard input, for `invoke --event -` and a piped event. Default: none (the command's own: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
}

/** `pathParameters` → `path-parameters`, as the flags are written. */
const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
const colorFor = (stream: { isTTY?: boolean }): boolean =>
  stream.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb'

const DURATIONS = "Durations: a bare number is seconds (as Lambda's Timeout); or 500ms, 10s, 5m, 2h."

const SERVE_USAGE = `Usage: lambda-lifetime serve [options]

Runs functions on the emulator: the Lambda Invoke API and an HTTP front door (API Gateway HTTP API v2 events).

One function from flags:
  --handler index.handler   the handler (file index.mjs/.js in --code-dir, export handler)
  --code-dir DIR            the function's code directory (default: the current directory)
  --name NAME               the function name (default: function)
  --memory MB               AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128)
  --timeout 3               the function timeout (default 3 s, at most 900 s)
  --env KEY=VALUE           an environment variable of the function (repeatable)
  --payload-format 1.0      REST API (1.0) events on the HTTP front door instead of HTTP API (2.0)
Or many from a file:
  --config emulator.json    the options of startEmulator (paths relative to the file)
Or the project you deploy (found in the current directory when no function flag is given):
  --template PATH           a SAM template, a cdk.out (after cdk synth) or a folder holding one:
                            its functions (TypeScript bundled with esbuild, source maps on) and every
                            API route on the HTTP port, matched as API Gateway matches them
  --env-vars env.json       environment overrides per function, as sam local --env-vars
  --no-watch                no hot reload (by default a saved source builds and deploys a new version)
The terminal (with --template, or when output is not a terminal: lines instead of the live table):
  --raw                     the handler's log lines as written (default: JSON and runtime lines made readable)
  --no-traces               no line per X-Ray segment received (default: one, with the container annotations)
The emulator:
  --tracing Active          sample every request that brings no decision, so the X-Ray SDK sends segments
                            (default PassThrough, as Lambda: only what the caller sampled)
  --port 9001               the Invoke API's port
  --http-port 3000          the HTTP front door's port
  --no-http                 no HTTP front door
  --concurrency N           reserved concurrency per function (then 429)
  --idle-timeout 5m         an idle environment is shut down after this
  --max-lifetime 2h         an environment is retired after this
  --init-timeout 10s        the init limit of an on-demand environment
  --no-freeze               do not freeze runtimes between invocations
  --no-aws-sdk              do not provide the AWS SDK v3 to functions (Lambda's runtimes do)
  --provisioned N           environments initialized ahead
  --managed-instances N     Managed Instances mode, N invocations at once per environment
  --log-dir DIR             where the log streams go (default .lambda-lifetime/logs)
  --extensions DIR          the functions' /opt/extensions: each file runs as an external extension
  --quiet                   print the addresses, not the live table
  -h, --help                print this text
${DURATIONS}
Example: lambda-lifetime serve --handler index.handler --code-dir dist --name hello --timeout 10
`

const INVOKE_USAGE = `Usage: lambda-lifetime invoke <function> [options]

Invokes a function through a running emulator's Invoke API (start one with lambda-lifetime serve).

  --event FILE              the event from a JSON file; --event - reads standard input
  --payload JSON            the event as JSON text, or file://event.json
                            (neither: standard input when it is piped in, else {})
  --endpoint URL            the Invoke API (default http://127.0.0.1:9001)
  --async                   an asynchronous (Event) invocation: answers 202 at once
  --tail                    print the invocation's log (the last 4 KB) on stderr
  -h, --help                print this text
Example: lambda-lifetime invoke hello --event events/get-order.json --tail
`

const EVENT_USAGE = `Usage: lambda-lifetime event <source> [options]

Prints a sample event of an AWS source, to edit and send with lambda-lifetime invoke.

Sources:
${EVENT_SOURCES.map((source) => `  ${source.name.padEnd(14)}${source.description}\n${' '.repeat(16)}${source.options.map((option) => `--${kebab(option)}`).join(' ')}`).join('\n')}
Every source also takes --region and --account-id. Object options (--headers, --query, --path-parameters,
--detail, --keys, --new-image, --old-image) are JSON; --body, --message and --data are text or JSON.
  -h, --help                print this text
Example: lambda-lifetime event http-api --method POST --path /orders --body '{"item":"book"}' > event.json
`

const LOGS_USAGE = `Usage: lambda-lifetime logs [function] [options]

Prints the log streams of every environment (or of one function), each line prefixed by the function
and the environment's short id; JSON lines (Powertools) and the runtime's lines shown readably.

  --follow                  keep printing new lines, across environments that start later
  --log-dir DIR             where the log streams are (default .lambda-lifetime/logs)
  --raw                     the lines as written
  -h, --help                print this text
Example: lambda-lifetime logs orders --follow
`

const USAGE = `Usage: lambda-lifetime <command> [options]

Commands:
  serve    run functions on the emulator (Invoke API + HTTP front door)
  invoke   invoke a function through a running emulator
  event    print a sample event of an AWS source (http-api, sqs, s3, …)
  logs     print or follow the log streams of the environments
  report   build a container lifetime report (needs @lambda-lifetime/report)
  help     print this text

Options:
  -h, --help       print this text (lambda-lifetime <command> --help: the command's options)
  -v, --version    print the version

${SERVE_USAGE}
${INVOKE_USAGE}
${EVENT_USAGE}
${LOGS_USAGE}`

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/**
 * A duration flag in milliseconds: `500ms`, `10s`, `5m`, `2h`, or a bare number of seconds (as
 * Lambda's `Timeout`).
 *
 * @example
 * ```ts
 * parseDuration('5m') // 300000
 * parseDuration('30') // 30000
 * ```
 */
export const parseDuration = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!match) throw new TypeError(`not a duration: ${text} (use a number of seconds, or 500ms, 10s, 5m, 2h)`)
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] as number))
}

/** A duration flag within what it can mean: Node's timers stop at 2^31-1 ms, Lambda's timeout at 900 s. */
const durationFlag = (text: string | undefined, flag: string, maxMs = MAX_TIMER_MS): number | undefined => {
  if (text === undefined) return undefined
  const ms = parseDuration(text)
  if (ms < 1) throw new TypeError(`--${flag} ${text} is shorter than 1 ms`)
  if (ms > maxMs) {
    const limit =
      maxMs === MAX_FUNCTION_TIMEOUT_MS
        ? "900 s, Lambda's maximum function timeout"
        : `${maxMs} ms (about 24.8 days), the longest delay Node's timers honour`
    throw new TypeError(`--${flag} ${text} is longer than ${limit}`)
  }
  return ms
}

const integer = (text: string | undefined, name: string): number | undefined => {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value)) throw new TypeError(`--${name} must be an integer, got ${text}`)
  return value
}

const serveOptions = {
  config: { type: 'string' },
  template: { type: 'string' },
  'env-vars': { type: 'string' },
  'no-watch': { type: 'boolean' },
  raw: { type: 'boolean' },
  'no-traces': { type: 'boolean' },
  tracing: { type: 'string' },
  name: { type: 'string' },
  handler: { type: 'string' },
  'code-dir': { type: 'string' },
  'payload-format': { type: 'string' },
  memory: { type: 'string' },
  timeout: { type: 'string' },
  env: { type: 'string', multiple: true },
  port: { type: 'string' },
  'http-port': { type: 'string' },
  'no-http': { type: 'boolean' },
  concurrency: { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-lifetime': { type: 'string' },
  'init-timeout': { type: 'string' },
  'no-freeze': { type: 'boolean' },
  'no-aws-sdk': { type: 'boolean' },
  extensions: { type: 'string' },
  provisioned: { type: 'string' },
  'managed-instances': { type: 'string' },
  'log-dir': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

type ServeValues = ReturnType<typeof parseArgs<{ options: typeof serveOptions; strict: true }>>['values']

/** Reads and checks a config file; every error names the file (and the function and field). */
const readConfig = (file: string): EmulatorOptions => {
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new TypeError(`config file ${path} cannot be read: ${(error as Error).message}`)
  }
  let config: EmulatorOptions
  try {
    config = JSON.parse(text) as EmulatorOptions
  } catch (error) {
    throw new TypeError(`config file ${path} is not JSON: ${(error as Error).message}`)
  }
  const problem = emulatorOptionsProblem(config, { partial: true })
  if (problem !== undefined) throw new TypeError(`config file ${path}: ${problem}`)
  const here = dirname(path)
  const functions = (config.functions ?? []).map((fn) => ({
    ...fn,
    codeDir: resolve(here, fn.codeDir),
    ...(fn.extensionsDir === undefined ? {} : { extensionsDir: resolve(here, fn.extensionsDir) }),
  }))
  return {
    ...config,
    functions,
    ...(config.logDir === undefined ? {} : { logDir: resolve(here, config.logDir) }),
    ...(config.extensionsDir === undefined ? {} : { extensionsDir: resolve(here, config.extensionsDir) }),
  }
}

const envPairs = (pairs: readonly string[] = []): Record<string, string> =>
  Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=')
      if (at <= 0) throw new TypeError(`--env takes KEY=VALUE, got ${pair}`)
      return [pair.slice(0, at), pair.slice(at + 1)]
    }),
  )

const optional = <T>(key: string, value: T | undefined): Record<string, T> =>
  value === undefined ? {} : { [key]: value }

/** Turns `serve`'s flags into `startEmulator` options; flags override the config file. */
export const serveArgsToOptions = (values: ServeValues): EmulatorOptions => {
  const base: EmulatorOptions = values.config ? readConfig(values.config) : { functions: [] }
  const single: FunctionConfig[] = values.handler
    ? [
        {
          name: values.name ?? 'function',
          handler: values.handler,
          codeDir: resolve(values['code-dir'] ?? '.'),
          env: envPairs(values.env),
          ...optional('memoryMb', integer(values.memory, 'memory')),
          ...optional('timeoutMs', durationFlag(values.timeout, 'timeout', MAX_FUNCTION_TIMEOUT_MS)),
          ...optional('payloadFormat', payloadFormatFlag(values['payload-format'])),
        },
      ]
    : []
  const managed = integer(values['managed-instances'], 'managed-instances')
  return {
    ...base,
    functions: [...base.functions, ...single],
    port: integer(values.port, 'port') ?? base.port ?? 9001,
    httpPort: values['no-http']
      ? false
      : (integer(values['http-port'], 'http-port') ?? base.httpPort ?? 3000),
    ...optional('concurrency', integer(values.concurrency, 'concurrency')),
    ...optional('idleTimeoutMs', durationFlag(values['idle-timeout'], 'idle-timeout')),
    ...optional('maxLifetimeMs', durationFlag(values['max-lifetime'], 'max-lifetime')),
    ...optional('initTimeoutMs', durationFlag(values['init-timeout'], 'init-timeout')),
    ...optional('freeze', values['no-freeze'] ? false : undefined),
    ...optional('provideAwsSdk', values['no-aws-sdk'] ? false : undefined),
    ...optional('provisioned', integer(values.provisioned, 'provisioned')),
    ...optional('managedInstances', managed === undefined ? undefined : { maxConcurrency: managed }),
    ...optional('logDir', values['log-dir']),
    ...optional('extensionsDir', values.extensions === undefined ? undefined : resolve(values.extensions)),
    ...optional('tracing', tracingFlag(values.tracing)),
  }
}

const tracingFlag = (text: string | undefined): TracingMode | undefined => {
  if (text === undefined) return undefined
  if (text === 'Active' || text === 'PassThrough') return text
  throw new TypeError(`--tracing must be Active or PassThrough, got ${text}`)
}

const waitForStop = (signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve()
      else signal.addEventListener('abort', () => resolve(), { once: true })
      return
    }
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
    // Closing the terminal: the runtimes must not outlive it.
    process.once('SIGHUP', () => resolve())
  })

const NOTHING_TO_SERVE = `nothing to serve: give a function with --handler index.handler --code-dir DIR [--name NAME], functions in a file with --config emulator.json, or a project with --template template.yaml|cdk.out (lambda-lifetime serve --help lists every flag)`

/** The project to serve: `--template`, else one found in the working directory when no function flag is given. */
const templateOf = (values: ServeValues): string | undefined => {
  if (values.template !== undefined) return values.template
  if (values.handler !== undefined || values.config !== undefined) return undefined
  return findProjectFile(process.cwd())
}

/** Starts the emulator for `serve`: from a project (bundled, routed, hot reloaded) or from the options. */
const startServing = async (
  values: ServeValues,
  options: EmulatorOptions,
  io: CliIo,
): Promise<{ emulator: Emulator; stop: () => Promise<StopSummary> }> => {
  const template = templateOf(values)
  if (template === undefined) {
    if (options.functions.length === 0) throw new TypeError(NOTHING_TO_SERVE)
    const emulator = await startEmulator(options)
    return { emulator, stop: () => emulator.stop() }
  }
  const { functions: _flags, ...emulatorOptions } = options
  io.out.write(`Project     ${resolve(template)}\n`)
  const server = await startDevServer({
    template,
    ...optional('envVarsFile', values['env-vars']),
    watch: values['no-watch'] !== true,
    color: colorFor(io.out),
    emulator: emulatorOptions,
    print: (line) => io.out.write(`${line}\n`),
  })
  return { emulator: server.emulator, stop: () => server.stop() }
}

/** The line an event gets in line mode: segments have their own, unless `--no-traces`. */
const terminalLine = (event: EmulatorEvent, noTraces: boolean, color: boolean): string | null => {
  if (event.type !== 'trace.segment') return describeEvent(event)
  return noTraces ? null : formatSegmentLine(event, { color })
}

const serve = async (args: string[], io: CliIo): Promise<number> => {
  const { values } = parseArgs({ args, options: serveOptions, strict: true })
  if (values.help) {
    io.out.write(SERVE_USAGE)
    return 0
  }
  const options = serveArgsToOptions(values)
  // The daily loop (a project) and a pipe get lines; a terminal serving flags gets the live table.
  const lines = templateOf(values) !== undefined || io.out.isTTY !== true
  const color = colorFor(io.out)
  let dirty = true
  const counts = new Map<string, AnswerCounts>()
  const onEvent = (event: EmulatorEvent): void => {
    dirty = true
    countAnswer(counts, event)
    const line = !lines || values.quiet ? null : terminalLine(event, values['no-traces'] === true, color)
    if (line !== null) io.out.write(`${color ? styleText('dim', line, { validateStream: false }) : line}\n`)
  }
  const startedAt = Date.now()
  const { emulator, stop: stopServing } = await startServing(values, { ...options, onEvent }, io)
  const follower =
    lines && !values.quiet
      ? followLogs(emulator.logDir, {
          raw: values.raw === true,
          color,
          // Streams of environments started ahead (provisioned) are this run's: printed whole.
          since: startedAt,
          print: (line) => io.out.write(`${line}\n`),
        })
      : null
  const stop = async (): Promise<StopSummary> => {
    const summary = await stopServing()
    await follower?.stop()
    return summary
  }
  const first = emulator.functionNames[0]
  io.out.write(
    [
      ...(emulator.dashboardUrl ? [`Dashboard   ${emulator.dashboardUrl}   (open it in a browser)`] : []),
      `Invoke API  ${emulator.invokeUrl}   (LambdaClient endpoint; lambda-lifetime invoke ${first} --endpoint ${emulator.invokeUrl})`,
      ...(emulator.httpUrl
        ? [
            `HTTP        ${emulator.httpUrl}   (open it in a browser: the functions and routes; or curl ${emulator.httpUrl}${suggestedPath(options)})`,
          ]
        : []),
      `Logs        ${emulator.logDir}/<function>/<log stream>.log`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  )
  let printedLines = 0
  const draw = (): void => {
    if (!dirty || values.quiet || lines) return
    dirty = false
    const table = renderEnvironments(emulator.environments(), Date.now(), counts)
    // On a terminal the table redraws in place; in a pipe each change is printed once.
    if (io.out.isTTY && printedLines > 0) io.out.write(`\x1b[${printedLines}A\x1b[J`)
    io.out.write(table)
    printedLines = table.split('\n').length - 1
  }
  draw()
  const timer = setInterval(draw, 1_000)
  await waitForStop(io.signal)
  clearInterval(timer)
  draw()
  io.out.write('stopping: shutting every environment down\n')
  const summary = await stop()
  if (summary.unrunEvents > 0) {
    const where = dirname(summary.unrunEventFiles[0] as string)
    io.err.write(
      `${summary.unrunEvents} accepted Event invocation(s) never ran; kept as JSON files in ${where}\n`,
    )
  }
  io.out.write('stopped\n')
  return 0
}

/** fetch's "fetch failed" names no cause; a person needs to know nothing listens there. */
const unreachable = (endpoint: string, error: Error): Error => {
  const code = (error.cause as { code?: string } | undefined)?.code
  return new Error(
    `no emulator answers at ${endpoint} (${code ?? error.message}). Start one with: lambda-lifetime serve --handler index.handler --code-dir DIR, or pass the --endpoint of a running one`,
  )
}

/** All of a stream, as text. */
const readAll = async (stream: NodeJS.ReadableStream): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The event to send: `--event` (a file, `-` for standard input), else `--payload` (JSON or
 * `file://…`), else what is piped in, else `{}` with a note, never `{}` in place of piped input.
 */
const invokePayload = async (
  values: { event?: string | undefined; payload?: string | undefined },
  io: CliIo,
): Promise<string> => {
  if (values.event !== undefined && values.payload !== undefined)
    throw new TypeError('give the event once: --event FILE or --payload JSON, not both')
  const readStdin = (): Promise<string> => {
    if (io.stdin === undefined) throw new TypeError('no standard input to read the event from')
    return readAll(io.stdin)
  }
  const given = values.event ?? values.payload
  if (given !== undefined) return readEventInput(given, { readStdin })
  if (io.stdin !== undefined && io.stdin.isTTY !== true) {
    const piped = await readStdin()
    if (piped.trim() !== '') return readEventInput('-', { readStdin: async () => piped })
  }
  io.err.write('no --event or --payload: sending {} (lambda-lifetime event --help prints sample events)\n')
  return '{}'
}

const invoke = async (args: string[], io: CliIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      payload: { type: 'string' },
      event: { type: 'string' },
      endpoint: { type: 'string', default: 'http://127.0.0.1:9001' },
      async: { type: 'boolean' },
      tail: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    io.out.write(INVOKE_USAGE)
    return 0
  }
  const name = positionals[0]
  if (name === undefined) throw new TypeError('invoke needs a function name (lambda-lifetime invoke --help)')
  if (!URL.canParse(values.endpoint))
    throw new TypeError(`--endpoint must be a URL like http://127.0.0.1:9001, got ${values.endpoint}`)
  const payload = await invokePayload(values, io)
  let response: Response
  try {
    response = await fetch(
      `${values.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
      {
        method: 'POST',
        body: payload,
        headers: {
          'X-Amz-Invocation-Type': values.async ? 'Event' : 'RequestResponse',
          'X-Amz-Log-Type': values.tail ? 'Tail' : 'None',
        },
      },
    )
  } catch (error) {
    throw unreachable(values.endpoint, error as Error)
  }
  const body = await response.text()
  const logs = response.headers.get('x-amz-log-result')
  if (logs) io.err.write(Buffer.from(logs, 'base64').toString('utf8'))
  io.out.write(`${body}\n`)
  const failed = response.status >= 300 || response.headers.has('x-amz-function-error')
  if (failed)
    io.err.write(
      `status ${response.status} ${response.headers.get('x-amz-function-error') ?? response.headers.get('x-amzn-errortype') ?? ''}\n`,
    )
  return failed ? 1 : 0
}

/** `lambda-lifetime event <source> [--path … --method … …]`: a sample event on standard output. */
/** `--name value` and `--name=value` pairs (any name: each source has its own), and the positionals. */
const eventArgs = (
  args: readonly string[],
): { flags: Record<string, string>; positionals: string[]; help: boolean } => {
  const flags: Record<string, string> = {}
  const positionals: string[] = []
  let help = false
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string
    if (arg === '--help' || arg === '-h') help = true
    else if (!arg.startsWith('--')) positionals.push(arg)
    else {
      const equals = arg.indexOf('=')
      const name = arg.slice(2, equals === -1 ? undefined : equals)
      if (equals === -1) index += 1
      const value = equals === -1 ? args[index] : arg.slice(equals + 1)
      if (value === undefined) throw new TypeError(`--${name} needs a value (lambda-lifetime event --help)`)
      flags[name] = value
    }
  }
  return { flags, positionals, help }
}

const event = (args: string[], io: CliIo): number => {
  const { flags, positionals, help } = eventArgs(args)
  if (help || positionals.length === 0) {
    io.out.write(EVENT_USAGE)
    return help ? 0 : 2
  }
  const source = positionals[0] as string
  const known = EVENT_SOURCES.find((item) => item.name === source)
  if (known === undefined)
    throw new TypeError(
      `unknown event source "${source}"; known: ${EVENT_SOURCES.map((item) => item.name).join(', ')}`,
    )
  const sample = sampleEvent(known.name, eventOptionsFromFlags(known.name, flags))
  io.out.write(`${JSON.stringify(sample, null, 2)}\n`)
  return 0
}

/** `lambda-lifetime logs [function] [--follow]`: the log streams, readable, across environments. */
const logs = async (args: string[], io: CliIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      follow: { type: 'boolean', short: 'f' },
      'log-dir': { type: 'string', default: '.lambda-lifetime/logs' },
      raw: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    io.out.write(LOGS_USAGE)
    return 0
  }
  const logDir = resolve(values['log-dir'])
  if (!existsSync(logDir))
    throw new TypeError(
      `no log streams in ${logDir}: start functions with lambda-lifetime serve, or pass --log-dir`,
    )
  const follower = followLogs(logDir, {
    fromStart: true,
    raw: values.raw === true,
    color: colorFor(io.out),
    ...optional('functionName', positionals[0]),
    print: (line) => io.out.write(`${line}\n`),
  })
  if (values.follow) await waitForStop(io.signal)
  await follower.stop()
  return 0
}

/** The report's entry point, as `@lambda-lifetime/report` exports it. */
type RunReportCli = (
  argv: string[],
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
) => Promise<number>

/** The report lives in its own package so that the emulator does not carry its dependencies. */
const report = async (args: string[], io: CliIo, load: () => Promise<unknown>): Promise<number> => {
  let module: { runReportCli?: RunReportCli }
  try {
    module = (await load()) as typeof module
  } catch {
    io.err.write(
      'lambda-lifetime report needs @lambda-lifetime/report: npm install @lambda-lifetime/report\n',
    )
    return 1
  }
  if (typeof module.runReportCli !== 'function') {
    io.err.write('the installed @lambda-lifetime/report does not export runReportCli(argv, io); update it\n')
    return 1
  }
  return module.runReportCli(args, { stdin: process.stdin, stdout: io.out, stderr: io.err })
}

const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version

/**
 * Runs the `lambda-lifetime` command and resolves to its exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2))
 * ```
 */
export const runCli = async (
  argv: readonly string[],
  io: CliIo = { out: process.stdout, err: process.stderr, stdin: process.stdin },
  loadReport: () => Promise<unknown> = () => import('@lambda-lifetime/report' as string),
): Promise<number> => {
  const [command, ...args] = argv
  try {
    if (command === '--version' || command === '-v' || command === 'version') {
      io.out.write(`${packageVersion()}\n`)
      return 0
    }
    if (command === 'serve') return await serve(args, io)
    if (command === 'invoke') return await invoke(args, io)
    if (command === 'event') return event(args, io)
    if (command === 'logs') return await logs(args, io)
    if (command === 'report') return await report(args, io, loadReport)
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.out.write(USAGE)
      return 0
    }
    io.err.write(`unknown command "${command}"\n\n${USAGE}`)
    return 2
  } catch (error) {
    io.err.write(`lambda-lifetime ${command}: ${reasonOf(error)}\n`)
    return 1
  }
}
