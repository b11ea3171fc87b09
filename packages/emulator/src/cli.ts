/**
 * The `lambda-lifetime` command: `serve` runs functions on the emulator, `invoke` calls one through a
 * running emulator's Invoke API, `report` hands over to `@lambda-lifetime/report` when it is installed.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { MAX_TIMER_MS } from '@lambda-lifetime/commons'
import { suggestedPath } from './banner.js'
import { startEmulator } from './emulator.js'
import { reasonOf } from './errors.js'
import { emulatorOptionsProblem, MAX_FUNCTION_TIMEOUT_MS } from './options.js'
import { payloadFormatFlag } from './payload-format.js'
import type { EmulatorEvent, EmulatorOptions, FunctionConfig } from './types.js'
import { type AnswerCounts, countAnswer, describeEvent, renderEnvironments } from './view.js'

/** Where the command writes, and what stops `serve` (SIGINT/SIGTERM/SIGHUP by default). */
export interface CliIo {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean }
  readonly err: NodeJS.WritableStream
  readonly signal?: AbortSignal
}

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
The emulator:
  --port 9001               the Invoke API's port
  --http-port 3000          the HTTP front door's port
  --no-http                 no HTTP front door
  --concurrency 10          most environments per function (then 429)
  --idle-timeout 5m         an idle environment is shut down after this
  --max-lifetime 2h         an environment is retired after this
  --init-timeout 10s        the init limit of an on-demand environment
  --no-freeze               do not freeze runtimes between invocations
  --no-aws-sdk              do not provide the AWS SDK v3 to functions (Lambda's runtimes do)
  --provisioned N           environments initialized ahead
  --managed-instances N     Managed Instances mode, N invocations at once per environment
  --log-dir DIR             where the log streams go (default .lambda-lifetime/logs)
  --quiet                   print the addresses, not the live table
  -h, --help                print this text
${DURATIONS}
Example: lambda-lifetime serve --handler index.handler --code-dir dist --name hello --timeout 10
`

const INVOKE_USAGE = `Usage: lambda-lifetime invoke <function> [options]

Invokes a function through a running emulator's Invoke API (start one with lambda-lifetime serve).

  --payload JSON            the event (default {})
  --endpoint URL            the Invoke API (default http://127.0.0.1:9001)
  --event                   an asynchronous (Event) invocation: answers 202 at once
  --tail                    print the invocation's log (the last 4 KB) on stderr
  -h, --help                print this text
Example: lambda-lifetime invoke hello --payload '{"a":1}' --tail
`

const USAGE = `Usage: lambda-lifetime <command> [options]

Commands:
  serve    run functions on the emulator (Invoke API + HTTP front door)
  invoke   invoke a function through a running emulator
  report   build a container lifetime report (needs @lambda-lifetime/report)
  help     print this text

Options:
  -h, --help       print this text (lambda-lifetime <command> --help: the command's options)
  -v, --version    print the version

${SERVE_USAGE}
${INVOKE_USAGE}`

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
  const functions = (config.functions ?? []).map((fn) => ({ ...fn, codeDir: resolve(here, fn.codeDir) }))
  return {
    ...config,
    functions,
    ...(config.logDir === undefined ? {} : { logDir: resolve(here, config.logDir) }),
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
  }
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

const NOTHING_TO_SERVE = `nothing to serve: give a function with --handler index.handler --code-dir DIR [--name NAME], or functions in a file with --config emulator.json (lambda-lifetime serve --help lists every flag)`

const serve = async (args: string[], io: CliIo): Promise<number> => {
  const { values } = parseArgs({ args, options: serveOptions, strict: true })
  if (values.help) {
    io.out.write(SERVE_USAGE)
    return 0
  }
  const options = serveArgsToOptions(values)
  if (options.functions.length === 0) throw new TypeError(NOTHING_TO_SERVE)
  let dirty = true
  const counts = new Map<string, AnswerCounts>()
  const onEvent = (event: EmulatorEvent): void => {
    dirty = true
    countAnswer(counts, event)
    // In a pipe the table is printed on change only; the invocations are worth a line each.
    const line = io.out.isTTY || values.quiet ? null : describeEvent(event)
    if (line !== null) io.out.write(`${line}\n`)
  }
  const emulator = await startEmulator({ ...options, onEvent })
  const first = options.functions[0]?.name
  io.out.write(
    [
      `Invoke API  ${emulator.invokeUrl}   (LambdaClient endpoint; lambda-lifetime invoke ${first} --endpoint ${emulator.invokeUrl})`,
      ...(emulator.httpUrl
        ? [
            `HTTP        ${emulator.httpUrl}   (open it in a browser, or curl ${emulator.httpUrl}${suggestedPath(options)})`,
          ]
        : []),
      `Logs        ${emulator.logDir}/<function>/<log stream>.log`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  )
  let printedLines = 0
  const draw = (): void => {
    if (!dirty || values.quiet) return
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
  const summary = await emulator.stop()
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

const invoke = async (args: string[], io: CliIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      payload: { type: 'string', default: '{}' },
      endpoint: { type: 'string', default: 'http://127.0.0.1:9001' },
      event: { type: 'boolean' },
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
  let response: Response
  try {
    response = await fetch(
      `${values.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
      {
        method: 'POST',
        body: values.payload,
        headers: {
          'X-Amz-Invocation-Type': values.event ? 'Event' : 'RequestResponse',
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
  io: CliIo = { out: process.stdout, err: process.stderr },
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
