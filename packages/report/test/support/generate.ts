/**
 * A seeded synthetic day of lifecycle logs with known answers, for the report's tests and benchmark (import
 * it by path). Not public API: its service and function names and its start date are fixed test data, and a
 * real log (the emulator's, or `npm run demo`) is the way to see the report on your own functions.
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { SkippedLines } from '@lambda-lifetime/report'

/** Options of {@link generateLifecycleLines} and {@link generateLifecycleLog}. */
export interface GenerateOptions {
  /** About how many lines to write (within a few percent). Default 10,000. */
  lines?: number
  /** Containers (runtimes), restarts included. Default 20. */
  containers?: number
  /** Same seed, same log. Default 1. */
  seed?: number
  /** Start of the log, epoch ms. Default 2026-11-26T00:00:00Z. */
  startMs?: number
  /** Length of the log. Default 24 h. */
  spanMs?: number
  /** Managed Instances: 4 worker threads (containers) per environment, pre-initialized, interleaved. */
  managedInstances?: boolean
  /** Share of lines that are not lifecycle lines (START/END/REPORT, text, other JSON, broken). Default 0.1. */
  noise?: number
  /** Share of containers that replace a crashed one in the same environment. Default 0.05. */
  restartRate?: number
  /** Share of containers that end inside the span and log a shutdown line. Default 0.7. */
  shutdownRate?: number
  /** How the lines are wrapped: bare JSON, the runtime client's text or JSON format, or any. Default 'mixed'. */
  format?: 'bare' | 'text' | 'json' | 'mixed'
  /** Function names, given to containers in turn (draws nothing: a seeded log stays the same). Default `['orders-api']`. */
  functions?: readonly string[]
}

/** The known answers of a generated log, for tests and benchmarks. */
export interface GeneratedLogAnswers {
  lines: number
  lifecycleLines: number
  containers: number
  environments: number
  invocations: number
  /** Invocations that threw. */
  errors: number
  /** Invocations answered with a 4xx. */
  clientErrors: number
  coldStarts: number
  restarts: number
  shutdowns: number
  skipped: SkippedLines
}

const THAW_THRESHOLD_MS = 10_000
const WORKERS_PER_INSTANCE = 4

// mulberry32: a tiny seeded generator; Math.random cannot be seeded.
const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = Math.imul(state ^ (state >>> 15), 1 | state)
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296
  }
}

interface PlannedContainer {
  id: string
  functionName: string
  environmentId: string
  workerId: number | null
  startMs: number
  endMs: number
  restartOf: string | null
  crashes: boolean
  logsShutdown: boolean
  nextMs: number
  invocation: number
  lastEndMs: number
  breaker: 'closed' | 'open' | 'halfOpen'
}

type Fields = Record<string, unknown>

class LogWriter {
  readonly answers: GeneratedLogAnswers = {
    lines: 0,
    lifecycleLines: 0,
    containers: 0,
    environments: 0,
    invocations: 0,
    errors: 0,
    clientErrors: 0,
    coldStarts: 0,
    restarts: 0,
    shutdowns: 0,
    skipped: { platform: 0, text: 0, json: 0, invalid: 0, newerSchema: 0, tooLong: 0 },
  }
  readonly #random: () => number
  readonly #options: Required<GenerateOptions>

  constructor(random: () => number, options: Required<GenerateOptions>) {
    this.#random = random
    this.#options = options
  }

  hex(length: number): string {
    let value = ''
    while (value.length < length)
      value += Math.floor(this.#random() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0')
    return value.slice(0, length)
  }

  lifecycle(container: PlannedContainer, atMs: number, fields: Fields, requestId: string | null): string {
    this.answers.lines += 1
    this.answers.lifecycleLines += 1
    const timestamp = new Date(atMs).toISOString()
    const line = {
      level: 'INFO',
      message: fields.event,
      timestamp,
      service: 'orders',
      function_name: container.functionName,
      ...(requestId ? { function_request_id: requestId } : {}),
      lifecycle_schema: 1,
      container_id: container.id,
      environment_id: container.environmentId,
      ...(container.workerId === null ? {} : { worker_id: container.workerId }),
      container_age_ms: Math.round(atMs - container.startMs),
      ...fields,
    }
    const format =
      this.#options.format === 'mixed'
        ? (['bare', 'text', 'json'] as const)[Math.floor(this.#random() * 3)]
        : this.#options.format
    if (format === 'text') return `${timestamp}\t${requestId ?? 'undefined'}\tINFO\t${JSON.stringify(line)}`
    if (format === 'json') return JSON.stringify({ timestamp, level: 'INFO', requestId, message: line })
    return JSON.stringify(line)
  }

  noise(atMs: number, requestId: string): string {
    this.answers.lines += 1
    const pick = this.#random()
    const timestamp = new Date(atMs).toISOString()
    if (pick < 0.5) {
      this.answers.skipped.platform += 1
      return pick < 0.2
        ? `START RequestId: ${requestId} Version: $LATEST`
        : `REPORT RequestId: ${requestId}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB`
    }
    if (pick < 0.7) {
      this.answers.skipped.text += 1
      return `${timestamp}\t${requestId}\tINFO\tfetched 3 orders in {12} ms`
    }
    if (pick < 0.95) {
      this.answers.skipped.json += 1
      return JSON.stringify({ level: 'INFO', message: 'order stored', timestamp, order_id: this.hex(8) })
    }
    this.answers.skipped.invalid += 1
    return `{"level":"INFO","timestamp":"${timestamp}","lifecycle_schema":1,"container_id":"${this.hex(8)}","ev`
  }
}

const planContainers = (
  writer: LogWriter,
  random: () => number,
  options: Required<GenerateOptions>,
): PlannedContainer[] => {
  const endOfLog = options.startMs + options.spanMs
  const planned: PlannedContainer[] = []
  for (let index = 0; index < options.containers; index += 1) {
    const lifetime = options.spanMs * (0.05 + 0.6 * random())
    const crashed = planned.find(
      (candidate) => candidate.crashes === false && candidate.endMs < endOfLog - 60_000,
    )
    const replaces = index > 0 && random() < options.restartRate ? crashed : undefined
    const peer = options.managedInstances && index % WORKERS_PER_INSTANCE !== 0 ? planned.at(-1) : undefined
    const startMs = replaces
      ? replaces.endMs + 200
      : (peer?.startMs ?? options.startMs + random() * (options.spanMs - lifetime))
    const endMs = Math.min(endOfLog, startMs + lifetime)
    if (replaces) replaces.crashes = true
    const functions = options.functions
    planned.push({
      functionName:
        replaces?.functionName ?? peer?.functionName ?? (functions[index % functions.length] as string),
      id: `${writer.hex(8)}-${writer.hex(4)}-4${writer.hex(3)}-a${writer.hex(3)}-${writer.hex(12)}`,
      environmentId:
        replaces?.environmentId ?? peer?.environmentId ?? `2026/11/26/[$LATEST]${writer.hex(32)}`,
      workerId: options.managedInstances ? (replaces?.workerId ?? index % WORKERS_PER_INSTANCE) : null,
      startMs,
      endMs,
      restartOf: replaces?.id ?? null,
      crashes: false,
      logsShutdown: endMs < endOfLog && random() < options.shutdownRate,
      nextMs: startMs + 150 + random() * 800,
      invocation: 0,
      lastEndMs: startMs,
      breaker: 'closed',
    })
  }
  return planned
}

// A binary heap on nextMs keeps the output in time order across containers (interleaved, like CloudWatch).
class ContainerQueue {
  readonly #heap: PlannedContainer[] = []
  get size(): number {
    return this.#heap.length
  }
  push(container: PlannedContainer): void {
    const heap = this.#heap
    heap.push(container)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if ((heap[parent] as PlannedContainer).nextMs <= container.nextMs) break
      heap[index] = heap[parent] as PlannedContainer
      index = parent
    }
    heap[index] = container
  }
  pop(): PlannedContainer {
    const heap = this.#heap
    const top = heap[0] as PlannedContainer
    const last = heap.pop() as PlannedContainer
    if (heap.length === 0) return top
    let index = 0
    for (;;) {
      const left = index * 2 + 1
      if (left >= heap.length) break
      const right = left + 1
      const child =
        right < heap.length &&
        (heap[right] as PlannedContainer).nextMs < (heap[left] as PlannedContainer).nextMs
          ? right
          : left
      if ((heap[child] as PlannedContainer).nextMs >= last.nextMs) break
      heap[index] = heap[child] as PlannedContainer
      index = child
    }
    heap[index] = last
    return top
  }
}

const meanGapMs = (planned: readonly PlannedContainer[], options: Required<GenerateOptions>): number => {
  const containerTime = planned.reduce((sum, container) => sum + (container.endMs - container.startMs), 0)
  const lifecycleTarget = Math.max(1, options.lines * (1 - options.noise) - planned.length * 2)
  // Lines per invocation: invocation.end, plus container.thaw after long gaps (depends on the gap itself).
  let gap = containerTime / lifecycleTarget
  for (let round = 0; round < 4; round += 1) {
    gap = (containerTime * (1 + Math.exp(-THAW_THRESHOLD_MS / gap))) / lifecycleTarget
  }
  return gap
}

function* invocationLines(
  writer: LogWriter,
  container: PlannedContainer,
  random: () => number,
  options: Required<GenerateOptions>,
): Generator<string> {
  container.invocation += 1
  writer.answers.invocations += 1
  const at = container.nextMs
  const requestId = `${writer.hex(8)}-${writer.hex(4)}-${writer.hex(4)}-${writer.hex(4)}-${writer.hex(12)}`
  const first = container.invocation === 1
  const startType = options.managedInstances ? 'pre-initialized' : first ? 'cold' : 'warm'
  const idle = first ? 0 : Math.round(at - container.lastEndMs)
  const perInvocation = {
    invocation: container.invocation,
    cold_start: startType === 'cold',
    start_type: startType,
    idle_ms: idle,
  }
  if (first) {
    if (startType === 'cold') writer.answers.coldStarts += 1
    if (container.restartOf) writer.answers.restarts += 1
    writer.answers.containers += 1
    yield writer.lifecycle(
      container,
      at,
      {
        event: 'container.start',
        ...perInvocation,
        init_type: options.managedInstances ? 'lambda-managed-instances' : 'on-demand',
        since_runtime_start_ms: Math.round(at - container.startMs),
        runtime_started_at: new Date(container.startMs).toISOString(),
        ...(container.restartOf ? { restart_of: container.restartOf } : {}),
      },
      requestId,
    )
  }
  if (!first && idle >= THAW_THRESHOLD_MS) {
    yield writer.lifecycle(container, at, { event: 'container.thaw', ...perInvocation }, requestId)
  }
  yield* breakerLines(writer, container, at, random, requestId)
  const duration = 5 + Math.round(random() * 200)
  // One draw, so the rest of a seeded log stays the same: 2% thrown errors, 3% answered 4xx by an error handler.
  const roll = random()
  const ending =
    roll < 0.02
      ? { outcome: 'error', error_name: 'Error', error_message: 'downstream failed' }
      : roll < 0.05
        ? { outcome: 'error', status_code: roll < 0.04 ? 400 : 404, error_name: 'BadRequestError' }
        : { outcome: 'success', status_code: 200 }
  if (roll < 0.02) writer.answers.errors += 1
  else if (roll < 0.05) writer.answers.clientErrors += 1
  yield writer.lifecycle(
    container,
    at + duration,
    { event: 'invocation.end', ...perInvocation, duration_ms: duration, ...ending },
    requestId,
  )
  container.lastEndMs = at + duration
}

function* breakerLines(
  writer: LogWriter,
  container: PlannedContainer,
  at: number,
  random: () => number,
  requestId: string,
): Generator<string> {
  const counts = {
    breaker: 'payments',
    failures: 5,
    successes: 100,
    rejects: 0,
    timeouts: 1,
    source: 'local',
  }
  if (container.breaker === 'closed' && random() < 0.002) {
    container.breaker = 'open'
    yield writer.lifecycle(container, at, { event: 'breaker.open', ...counts }, requestId)
  } else if (container.breaker === 'open') {
    container.breaker = 'halfOpen'
    yield writer.lifecycle(container, at, { event: 'breaker.half-open', ...counts }, requestId)
  } else if (container.breaker === 'halfOpen') {
    container.breaker = 'closed'
    yield writer.lifecycle(container, at, { event: 'breaker.close', ...counts }, requestId)
  }
}

const withDefaults = (options: GenerateOptions): Required<GenerateOptions> => ({
  lines: 10_000,
  containers: 20,
  seed: 1,
  startMs: Date.parse('2026-11-26T00:00:00Z'),
  spanMs: 86_400_000,
  managedInstances: false,
  noise: 0.1,
  restartRate: 0.05,
  shutdownRate: 0.7,
  format: 'mixed',
  functions: ['orders-api'],
  ...options,
})

/**
 * Generates a synthetic day of lifecycle logs (seeded, deterministic) in time order: containers that start,
 * serve invocations, thaw, restart after crashes, open breakers and shut down, mixed with Lambda's own lines,
 * plain text, other JSON and broken lines. The generator's return value holds the known answers.
 *
 * @example
 * ```ts
 * import { generateLifecycleLines } from './support/generate.js'
 *
 * const lines = [...generateLifecycleLines({ lines: 1_000, containers: 5, seed: 7 })]
 * ```
 */
export function* generateLifecycleLines(
  options: GenerateOptions = {},
): Generator<string, GeneratedLogAnswers> {
  const settings = withDefaults(options)
  const random = seededRandom(settings.seed)
  const writer = new LogWriter(random, settings)
  const planned = planContainers(writer, random, settings)
  writer.answers.environments = new Set(planned.map((container) => container.environmentId)).size
  const gap = meanGapMs(planned, settings)
  const queue = new ContainerQueue()
  for (const container of planned) queue.push(container)
  const noisePerLifecycleLine = settings.noise / (1 - settings.noise)
  while (queue.size > 0) {
    const container = queue.pop()
    const before = writer.answers.lifecycleLines
    yield* invocationLines(writer, container, random, settings)
    for (let line = before; line < writer.answers.lifecycleLines; line += 1) {
      if (random() < noisePerLifecycleLine) yield writer.noise(container.lastEndMs, writer.hex(8))
    }
    container.nextMs = container.lastEndMs - gap * Math.log(1 - random())
    if (container.nextMs <= container.endMs) {
      queue.push(container)
    } else if (container.logsShutdown && !container.crashes) {
      writer.answers.shutdowns += 1
      yield writer.lifecycle(
        container,
        container.endMs,
        { event: 'container.shutdown', invocations: container.invocation, reason: 'spindown' },
        null,
      )
    }
  }
  return writer.answers
}

/**
 * Writes a generated log ({@link generateLifecycleLines}) to a file or a stream, honouring back-pressure,
 * and resolves with the known answers. Used by the benchmark of a million lines.
 *
 * @example
 * ```ts
 * import { generateLifecycleLog } from '../packages/report/test/support/generate.js'
 *
 * const answers = await generateLifecycleLog({ lines: 1_000_000, containers: 300, seed: 42 }, 'day.log')
 * ```
 */
export const generateLifecycleLog = async (
  options: GenerateOptions,
  out: string | NodeJS.WritableStream,
): Promise<GeneratedLogAnswers> => {
  const stream = typeof out === 'string' ? createWriteStream(out) : out
  const lines = generateLifecycleLines(options)
  let batch = ''
  let next = lines.next()
  while (!next.done) {
    batch += `${next.value}\n`
    if (batch.length > 65_536) {
      if (!stream.write(batch)) await once(stream, 'drain')
      batch = ''
    }
    next = lines.next()
  }
  if (typeof out === 'string') {
    stream.end(batch)
    await once(stream, 'finish')
  } else {
    stream.write(batch)
  }
  return next.value
}
