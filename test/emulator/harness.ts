/**
 * One emulator per test: its own functions, log folder, event list and SDK client, all stopped and
 * removed when the test ends, also when it fails.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda'
import {
  type Emulator,
  type EmulatorEvent,
  type EmulatorOptions,
  type FunctionConfig,
  startEmulator,
} from '@lambda-lifetime/emulator'

export const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))

/** What the lifetime fixture answers. */
export interface Seen {
  view: {
    containerId: string
    environmentId: string
    invocation: number
    startType: string
    restartOf: string | null
  }
  ticks: number
  initType: string
  tmpDir: string
  snapshot: { inFlight: number; workerId: number }
}

export const fn = (name: string, handler: string, rules: Partial<FunctionConfig> = {}): FunctionConfig => ({
  name,
  handler,
  codeDir: fixtures,
  timeoutMs: 3_000,
  ...rules,
})

export interface Harness {
  readonly emulator: Emulator
  readonly lambda: LambdaClient
  readonly events: EmulatorEvent[]
  readonly logDir: string
  /** Invokes through the AWS SDK and parses the answer. */
  invoke(
    functionName: string,
    payload?: unknown,
    extra?: { LogType?: 'Tail' },
  ): Promise<{ output: InvokeCommandOutput; text: string; body: Seen & Record<string, unknown> }>
  /** Stops the emulator now (the harness stops it anyway at the end). */
  stop(): Promise<void>
}

export const withEmulator = async (
  functions: readonly FunctionConfig[],
  options: Partial<EmulatorOptions>,
  body: (harness: Harness) => Promise<void>,
): Promise<void> => {
  const logDir = mkdtempSync(join(tmpdir(), 'emulator-test-logs-'))
  const events: EmulatorEvent[] = []
  let emulator: Emulator | undefined
  let lambda: LambdaClient | undefined
  let stopping: Promise<void> | undefined
  try {
    emulator = await startEmulator({
      logDir,
      idleTimeoutMs: 60_000,
      onEvent: (event) => events.push(event),
      ...options,
      functions,
    })
    const running = emulator
    const client = new LambdaClient({
      endpoint: running.invokeUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    })
    lambda = client
    const stop = (): Promise<void> => {
      stopping ??= running.stop().then(() => undefined)
      return stopping
    }
    await body({
      emulator: running,
      lambda: client,
      events,
      logDir,
      stop,
      invoke: async (functionName, payload = {}, extra = {}) => {
        const output = await client.send(
          new InvokeCommand({
            FunctionName: functionName,
            Payload: Buffer.from(JSON.stringify(payload)),
            ...extra,
          }),
        )
        const text = Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8')
        return { output, text, body: JSON.parse(text || 'null') }
      },
    })
  } finally {
    lambda?.destroy()
    if (emulator !== undefined) await (stopping ?? emulator.stop())
    rmSync(logDir, { recursive: true, force: true })
  }
}

/** Waits for a condition, checked every 25 ms, with a generous bound. */
export const waitFor = async (
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> => {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** State letter of a process from /proc (`T` stopped), null when it does not exist. */
export const processState = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat[stat.lastIndexOf(')') + 2] ?? null
  } catch {
    return null
  }
}

/** Gone, or a zombie nobody reaped yet: either way it runs no more. */
export const ended = (pid: number): boolean => {
  const state = processState(pid)
  return state === null || state === 'Z' || state === 'X'
}
