/**
 * The `lambda-lifetime` command: `serve` runs functions on the emulator, `invoke` calls one through a
 * running emulator's Invoke API, `report` hands over to `@lambda-lifetime/report` when it is installed.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startEmulator } from './emulator.js'
import type { EmulatorOptions, FunctionConfig } from './types.js'
import { renderEnvironments } from './view.js'

/** Where the command writes, and what stops `serve` (SIGINT/SIGTERM by default). */
export interface CliIo {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean }
  readonly err: NodeJS.WritableStream
  readonly signal?: AbortSignal
}

const USAGE = `Usage: lambda-lifetime <command> [options]

Commands:
  serve    run functions on the emulator (Invoke API + HTTP front door)
           --handler index.handler --code-dir DIR [--name NAME] [--memory MB] [--timeout 3s]
           [--env KEY=VALUE ...] [--port 9001] [--http-port 3000 | --no-http] [--concurrency 10]
           [--idle-timeout 5m] [--max-lifetime 2h] [--init-timeout 10s] [--no-freeze]
           [--provisioned N] [--managed-instances MAX_CONCURRENCY] [--log-dir DIR] [--quiet]
           or --config emulator.json (the options of startEmulator, paths relative to the file)
  invoke   invoke a function through a running emulator
           <function> [--payload JSON] [--endpoint http://127.0.0.1:9001] [--event] [--tail]
  report   build a container lifetime report (needs @lambda-lifetime/report)
  help     print this text
`

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/**
 * `500ms`, `10s`, `5m`, `2h` or a plain number of milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('5m') // 300000
 * ```
 */
export const parseDuration = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!match) throw new TypeError(`not a duration: ${text} (use 500ms, 10s, 5m, 2h or milliseconds)`)
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 'ms'] as number))
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
  provisioned: { type: 'string' },
  'managed-instances': { type: 'string' },
  'log-dir': { type: 'string' },
  quiet: { type: 'boolean' },
} as const

type ServeValues = ReturnType<typeof parseArgs<{ options: typeof serveOptions; strict: true }>>['values']

const readConfig = (file: string): EmulatorOptions => {
  const path = resolve(file)
  const config = JSON.parse(readFileSync(path, 'utf8')) as EmulatorOptions
  const functions = (config.functions ?? []).map((fn) => ({
    ...fn,
    codeDir: resolve(dirname(path), fn.codeDir),
  }))
  return { ...config, functions }
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
          ...optional('timeoutMs', values.timeout === undefined ? undefined : parseDuration(values.timeout)),
        },
      ]
    : []
  const managed = integer(values['managed-instances'], 'managed-instances')
  const duration = (flag: string | undefined) => (flag === undefined ? undefined : parseDuration(flag))
  return {
    ...base,
    functions: [...base.functions, ...single],
    port: integer(values.port, 'port') ?? base.port ?? 9001,
    httpPort: values['no-http']
      ? false
      : (integer(values['http-port'], 'http-port') ?? base.httpPort ?? 3000),
    ...optional('concurrency', integer(values.concurrency, 'concurrency')),
    ...optional('idleTimeoutMs', duration(values['idle-timeout'])),
    ...optional('maxLifetimeMs', duration(values['max-lifetime'])),
    ...optional('initTimeoutMs', duration(values['init-timeout'])),
    ...optional('freeze', values['no-freeze'] ? false : undefined),
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
  })

const serve = async (args: string[], io: CliIo): Promise<number> => {
  const { values } = parseArgs({ args, options: serveOptions, strict: true })
  const options = serveArgsToOptions(values)
  let dirty = true
  const emulator = await startEmulator({ ...options, onEvent: () => (dirty = true) })
  const first = emulator.environments()[0]?.functionName ?? options.functions[0]?.name
  io.out.write(
    [
      `Invoke API  ${emulator.invokeUrl}   (LambdaClient endpoint; lambda-lifetime invoke ${first} --endpoint ${emulator.invokeUrl})`,
      ...(emulator.httpUrl ? [`HTTP        ${emulator.httpUrl}   (curl ${emulator.httpUrl}/hello)`] : []),
      `Logs        ${emulator.logDir}/<function>/<log stream>.log`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  )
  let printedLines = 0
  const draw = (): void => {
    if (!dirty || values.quiet) return
    dirty = false
    const table = renderEnvironments(emulator.environments(), Date.now())
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
  await emulator.stop()
  return 0
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
    },
  })
  const name = positionals[0]
  if (name === undefined) throw new TypeError('invoke needs a function name')
  const response = await fetch(
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
    io.err.write(`lambda-lifetime ${command}: ${(error as Error).message}\n`)
    return 1
  }
}
