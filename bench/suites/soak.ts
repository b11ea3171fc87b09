/**
 * Soak (issue 12): 30,000 invocations (3,000 quick) through the AWS SDK's LambdaClient at the emulator's
 * concurrency limit. The emulator runs in a child process of its own, so its resident memory and open
 * file descriptors are its own; they are read after a garbage collection once warmed up, every 5,000
 * invocations and at the end. Every invocation must answer exactly once: the function echoes its
 * sequence number and request id, the client counts both, and the emulator counts the invocations its
 * environments started. Not a test: `npm run bench -- --only=soak`.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHeapSpaceStatistics } from 'node:v8'
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda'
import { loadExport, skippedCase, valueCase } from '../harness/cases.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const CONCURRENCY = 10
const CHECKPOINT = 5_000
const WARM_UP = 1_000
const HANDLER = `export const handler = async (event, context) => ({ n: event.n, requestId: context.awsRequestId })\n`

/** What the emulator's process reports about itself. */
interface Sample {
  readonly invocations: number
  readonly rssMB: number
  readonly heapUsedMB: number
  readonly heapTotalMB: number
  readonly externalMB: number
  /** V8's young generation, reserved: it grows under allocation pressure, without any object kept. */
  readonly newSpaceMB: number
  readonly fds: number
  readonly started: number
  readonly ended: number
  readonly environments: number
}

type ToChild = { type: 'measure'; invocations: number } | { type: 'stop' }
type FromChild =
  | { type: 'ready'; invokeUrl: string }
  | { type: 'sample'; sample: Sample }
  | { type: 'stopped' }

interface EmulatorLike {
  readonly invokeUrl: string
  environments(): unknown[]
  subscribe(listener: (event: { type: string }) => void): () => void
  stop(): Promise<unknown>
}

const MB = 2 ** 20

/** The child: an emulator and nothing else, answering measurements over IPC. */
const runEmulatorChild = async (): Promise<void> => {
  const send = (message: FromChild) => (process.send as NonNullable<typeof process.send>)(message)
  const startEmulator = await loadExport<(options: object) => Promise<EmulatorLike>>(
    '@lambda-lifetime/emulator',
    'startEmulator',
  )
  if (startEmulator === undefined) throw new Error('startEmulator has not landed')
  const codeDir = await mkdtemp(join(tmpdir(), 'bench-soak-'))
  await writeFile(join(codeDir, 'index.mjs'), HANDLER)
  const emulator = await startEmulator({
    logDir: join(codeDir, 'logs'),
    httpPort: false,
    concurrency: CONCURRENCY,
    functions: [{ name: 'soak', handler: 'index.handler', codeDir }],
  })
  let started = 0
  let ended = 0
  emulator.subscribe((event) => {
    if (event.type === 'invocation.start') started += 1
    if (event.type === 'invocation.end') ended += 1
  })
  process.on('message', async (message: ToChild) => {
    if (message.type === 'measure') {
      const gc = (globalThis as { gc?: () => void }).gc
      gc?.()
      gc?.()
      const memory = process.memoryUsage()
      send({
        type: 'sample',
        sample: {
          invocations: message.invocations,
          rssMB: memory.rss / MB,
          heapUsedMB: memory.heapUsed / MB,
          heapTotalMB: memory.heapTotal / MB,
          externalMB: memory.external / MB,
          newSpaceMB:
            (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) /
            MB,
          fds: (await readdir('/proc/self/fd')).length,
          started,
          ended,
          environments: emulator.environments().length,
        },
      })
      return
    }
    await emulator.stop()
    await rm(codeDir, { recursive: true, force: true })
    send({ type: 'stopped' })
    process.exit(0)
  })
  send({ type: 'ready', invokeUrl: emulator.invokeUrl })
}

/** The parent's side of the conversation with the child. */
class EmulatorProcess {
  readonly #child: ChildProcess
  readonly #waiting: ((message: FromChild) => void)[] = []

  constructor() {
    this.#child = fork(new URL(import.meta.url), ['soak-child'], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#child.on('message', (message: FromChild) => this.#waiting.shift()?.(message))
  }

  #next(): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      this.#waiting.push(resolve)
      this.#child.once('exit', (code) => reject(new Error(`the emulator process exited with ${code}`)))
    })
  }

  async ready(): Promise<string> {
    const message = await this.#next()
    if (message.type !== 'ready') throw new Error(`unexpected ${message.type}`)
    return message.invokeUrl
  }

  async measure(invocations: number): Promise<Sample> {
    const answer = this.#next()
    this.#child.send({ type: 'measure', invocations } satisfies ToChild)
    const message = await answer
    if (message.type !== 'sample') throw new Error(`unexpected ${message.type}`)
    return message.sample
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return
    const answer = this.#next().catch(() => undefined)
    this.#child.send({ type: 'stop' } satisfies ToChild)
    await answer
  }
}

/** What the client saw: each sequence number answered once, with a request id never seen before. */
interface Tally {
  readonly answered: Uint8Array
  readonly requestIds: Set<string>
  duplicates: number
  throttled: number
  failed: number
}

/** Invokes `n` until it runs: a throttle (429) means it did not run, so it is sent again and counted. */
const invokeOnce = async (client: LambdaClient, n: number, tally: Tally): Promise<void> => {
  for (;;) {
    try {
      const output = await client.send(
        new InvokeCommand({ FunctionName: 'soak', Payload: Buffer.from(JSON.stringify({ n })) }),
      )
      const answer = JSON.parse(Buffer.from(output.Payload ?? []).toString()) as {
        n: number
        requestId: string
      }
      if (output.FunctionError !== undefined || answer.n !== n) {
        tally.failed += 1
        return
      }
      if ((tally.answered[n] as number) > 0 || tally.requestIds.has(answer.requestId)) tally.duplicates += 1
      tally.answered[n] = 1
      tally.requestIds.add(answer.requestId)
      return
    } catch (error) {
      if (!(error instanceof TooManyRequestsException)) {
        tally.failed += 1
        return
      }
      tally.throttled += 1
    }
  }
}

/** Sequence numbers `from` to `to - 1`, `CONCURRENCY` in flight at all times. */
const invokeRange = async (client: LambdaClient, from: number, to: number, tally: Tally): Promise<void> => {
  let next = from
  const worker = async (): Promise<void> => {
    while (next < to) await invokeOnce(client, next++, tally)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits))

const soakCases = (
  total: number,
  before: Sample,
  after: Sample,
  series: readonly Sample[],
  tally: Tally,
  seconds: number,
): CaseResult[] => {
  const lost = total - tally.requestIds.size + tally.duplicates
  const perCheckpoint = (key: 'rssMB' | 'heapUsedMB') => ((after[key] - before[key]) / total) * CHECKPOINT
  const trail = series.map((sample) => `${sample.invocations}: ${round(sample.rssMB, 1)}`).join(', ')
  const ranInEnvironments = after.started - before.started
  return [
    valueCase(
      {
        name: 'soak: invocations lost',
        baseline: null,
        unit: 'invocations',
        target: { on: 'value', op: '<=', limit: 0, text: '0' },
        note: `${total} invocations at concurrency ${CONCURRENCY} in ${round(seconds, 1)} s; ${tally.throttled} throttles (429, resent); ${tally.failed} failed`,
      },
      lost + tally.failed,
    ),
    valueCase(
      {
        name: 'soak: invocations duplicated',
        baseline: null,
        unit: 'invocations',
        target: { on: 'value', op: '<=', limit: 0, text: '0' },
        note: `request ids seen by the client ${tally.requestIds.size}; invocations the environments started ${ranInEnvironments}`,
      },
      tally.duplicates + Math.abs(ranInEnvironments - total),
    ),
    valueCase(
      {
        name: `soak: emulator RSS growth per ${CHECKPOINT.toLocaleString('en-US')} invocations`,
        baseline: null,
        unit: 'MB',
        note: `RSS ${round(before.rssMB, 1)} MB after ${WARM_UP} warm-up invocations, ${round(after.rssMB, 1)} MB after ${total} more (after a GC each time); by invocation: ${trail}`,
      },
      perCheckpoint('rssMB'),
    ),
    valueCase(
      {
        name: `soak: emulator heap growth per ${CHECKPOINT.toLocaleString('en-US')} invocations`,
        baseline: null,
        unit: 'MB',
        note: `heap used ${round(before.heapUsedMB)} MB before, ${round(after.heapUsedMB)} MB after (after a GC); heap reserved ${round(before.heapTotalMB)} → ${round(after.heapTotalMB)} MB, of which the young generation ${round(before.newSpaceMB)} → ${round(after.newSpaceMB)} MB; external ${round(before.externalMB)} → ${round(after.externalMB)} MB`,
      },
      perCheckpoint('heapUsedMB'),
    ),
    valueCase(
      {
        name: 'soak: emulator open file descriptors, after minus before',
        baseline: null,
        unit: 'fds',
        target: { on: 'value', op: '<=', limit: 0, text: '<= 0' },
        note: `${before.fds} before, ${after.fds} after, ${after.environments} environments alive`,
      },
      after.fds - before.fds,
    ),
  ]
}

export const soakSuite: Suite = {
  id: 'soak',
  name: 'soak (emulator, LambdaClient at the concurrency limit)',
  async run(mode: Mode): Promise<CaseResult[]> {
    const total = mode === 'quick' ? 3_000 : 30_000
    const emulator = new EmulatorProcess()
    let client: LambdaClient | undefined
    try {
      const endpoint = await emulator.ready()
      client = new LambdaClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        maxAttempts: 1,
      })
      const warmUp: Tally = {
        answered: new Uint8Array(WARM_UP),
        requestIds: new Set(),
        duplicates: 0,
        throttled: 0,
        failed: 0,
      }
      await invokeRange(client, 0, WARM_UP, warmUp)
      const before = await emulator.measure(0)
      const tally: Tally = {
        answered: new Uint8Array(total),
        requestIds: new Set(),
        duplicates: 0,
        throttled: 0,
        failed: 0,
      }
      const series: Sample[] = [before]
      const startedAt = performance.now()
      for (let from = 0; from < total; from += CHECKPOINT) {
        await invokeRange(client, from, Math.min(total, from + CHECKPOINT), tally)
        series.push(await emulator.measure(Math.min(total, from + CHECKPOINT)))
      }
      const seconds = (performance.now() - startedAt) / 1000
      const after = series.at(-1) as Sample
      return soakCases(total, before, after, series, tally, seconds)
    } catch (error) {
      return [skippedCase({ name: 'soak', baseline: null, unit: '-' }, (error as Error).message)]
    } finally {
      client?.destroy()
      await emulator.stop()
    }
  },
}

if (process.send !== undefined && process.argv[2] === 'soak-child') await runEmulatorChild()
