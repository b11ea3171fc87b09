/**
 * The configured memory size of a function, made to mean what it means in Lambda: the V8 heap sized
 * from it as Lambda's Node.js runtime sizes it, "Max Memory Used" measured as the peak of the
 * environment's processes, and an invocation that goes over the size ended as Lambda ends it.
 *
 * What Lambda does (sources):
 * - The Node.js runtime's bootstrap (`/var/runtime/bootstrap` of the `public.ecr.aws/lambda/nodejs`
 *   images built from github.com/aws/aws-lambda-base-images) starts Node with
 *   `--max-semi-space-size=<size/10/2>` and `--max-old-space-size=<size - size/10>`, integer MB, from
 *   `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`. The runtime interface client itself sets no heap flag.
 * - Going over the size: the kernel kills the runtime (SIGKILL); the caller gets
 *   `{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: <id> Error: Runtime exited with error: signal: killed"}`
 *   (adobe/helix-html2md-service issue 1001), REPORT shows `Max Memory Used` equal to `Memory Size`,
 *   `Status: error` and `Error Type: Runtime.OutOfMemory` (DataDog/datadog-lambda-extension issues 1237
 *   and PR 776 read it from `platform.runtimeDone`), and the environment's runtime is started again
 *   for the next invocation, as after any crash.
 * - V8 reaching its heap limit first (sizes above about 512 MB, where the heap limit plus the runtime's
 *   own memory fits under the size) prints `FATAL ERROR: … JavaScript heap out of memory` and aborts:
 *   `Runtime exited with error: signal: aborted`, `Runtime.ExitError`, as for any signal (log parsers
 *   for Lambda quote Node's as `signal: aborted (core dumped)`; whether a core was dumped is not known
 *   here, so the emulator leaves that out; awslabs/aws-lambda-cpp issue 30 for `Runtime.ExitError`).
 *
 * Here the peak is sampled: the resident memory of the environment's processes, read from /proc while
 * an invocation (or an init) runs, plus the runtime process's own high-water mark (`VmHWM`, which no
 * sample can miss). A sample over the size kills the environment's processes, as the kernel would.
 * Where the machine allows it, each runtime also gets a memory cgroup (memory-cgroup.ts): the kernel
 * then kills at once what allocates past the size, and keeps the peak of what it charged, spikes of
 * child processes included; Max Memory Used is the larger of the two measures.
 */
import { readFileSync } from 'node:fs'
import { type MemoryCgroup, memoryCgroupParent } from './memory-cgroup.js'
import { procAvailable } from './process-tree.js'

/** How often the memory of a busy environment is read: a sample costs about 0.2-0.3 ms of the emulator's CPU. */
export const SAMPLE_INTERVAL_MS = 25

/**
 * Samples per second across all busy environments of this emulator: past 8 busy environments the
 * interval grows, so that sampling never takes more than about a tenth of a core (measured on a loaded
 * 2-core machine: 0.2-0.3 ms of CPU a sample). Where a cgroup limits the runtime, the kernel's kill
 * does not depend on it.
 */
export const MAX_SAMPLES_PER_SECOND = 320

/** The monitors that found their environment busy at their last tick: they share the budget. */
const busyMonitors = new Set<MemoryMonitor>()

/**
 * The interval of each busy environment's samples for this many busy environments.
 *
 * @example
 * ```ts
 * sampleIntervalMs(1) // 25
 * sampleIntervalMs(100) // 313
 * ```
 */
export const sampleIntervalMs = (busy: number, floorMs = SAMPLE_INTERVAL_MS): number =>
  Math.max(floorMs, Math.ceil((1000 * busy) / MAX_SAMPLES_PER_SECOND))

/**
 * The V8 heap flags of Lambda's Node.js bootstrap for a memory size: a tenth of the size is the young
 * generation (two semi-spaces of half that each), the rest the old generation.
 *
 * @example
 * ```ts
 * heapArgs(128) // ['--max-semi-space-size=6', '--max-old-space-size=116']
 * ```
 */
export const heapArgs = (memoryMb: number): string[] => {
  const newSpaceMb = Math.floor(memoryMb / 10)
  return [
    `--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`,
    `--max-old-space-size=${memoryMb - newSpaceMb}`,
  ]
}

const residentKb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/**
 * The memory of a runtime and what it started, in MB, now: the larger of the group's resident memory
 * and the runtime's own high-water mark. Null when nothing is readable (no /proc, or all gone).
 *
 * @example
 * ```ts
 * memoryNowMb(runtime.members()) // 87
 * ```
 */
export const memoryNowMb = (pids: readonly number[]): number | null => {
  const [runtime] = pids
  if (runtime === undefined) return null
  const groupKb = pids.reduce((sum, pid) => sum + residentKb(pid, 'VmRSS'), 0)
  const nowKb = Math.max(groupKb, residentKb(runtime, 'VmHWM'))
  return nowKb === 0 ? null : Math.ceil(nowKb / 1024)
}

export interface MemoryMonitorOptions {
  /** The function's memory size (MB). */
  readonly limitMb: number
  /** The environment's live processes, the runtime first. */
  readonly members: () => number[]
  /** Whether it is worth sampling now (an invocation or an init runs, the processes are not frozen). */
  readonly active: () => boolean
  /** Once, from the periodic sample, when the processes went over the size (also when another sample saw it). */
  readonly onOver: () => void
  readonly intervalMs?: number
  /**
   * The runtime's memory cgroup, when it has one: its peak and its kills join the samples of /proc.
   * Samples are still needed: pages the host had in memory already (Node's binary, shared libraries)
   * are not charged to the cgroup, while in Lambda's sandbox they are part of the function's memory.
   */
  readonly cgroup?: MemoryCgroup | null
}

/**
 * The memory of one runtime and its processes over its life: the peak so far, kept after they died
 * for the REPORT that follows, and whether they went over the function's memory size.
 *
 * @example
 * ```ts
 * const memory = new MemoryMonitor({ limitMb: 128, members: () => runtime.members(), active: () => true, onOver: kill })
 * memory.start()
 * memory.sample() // false: under the size
 * memory.reportedMb // 52
 * ```
 */
export class MemoryMonitor {
  readonly limitMb: number
  readonly #options: MemoryMonitorOptions
  #peakMb: number | null = null
  #over = false
  #told = false
  #timer: NodeJS.Timeout | undefined
  #released: Promise<void> | null = null

  constructor(options: MemoryMonitorOptions) {
    this.limitMb = options.limitMb
    this.#options = options
  }

  /** Samples every interval while `active`; the timer does not keep the emulator alive. */
  start(): void {
    if (this.#timer === undefined && this.#released === null) this.#schedule()
  }

  #schedule(): void {
    const delay = sampleIntervalMs(busyMonitors.size, this.#options.intervalMs)
    this.#timer = setTimeout(() => this.#tick(), delay)
    this.#timer.unref()
  }

  /** Samples when busy; over the size (seen now, or by a sample taken elsewhere), tells once. */
  #tick(): void {
    const busy = this.#options.active()
    if (busy) busyMonitors.add(this)
    else busyMonitors.delete(this)
    if (busy && this.sample() && !this.#told) {
      this.#told = true
      this.#options.onOver()
    }
    if (this.#released === null) this.#schedule()
  }

  /**
   * Stops sampling and removes the cgroup once its processes are gone (at most 2 s; the same promise
   * for every caller). The peak stays readable.
   */
  release(): Promise<void> {
    clearTimeout(this.#timer)
    busyMonitors.delete(this)
    this.#released ??= this.#options.cgroup?.remove().then(() => undefined) ?? Promise.resolve()
    return this.#released
  }

  /**
   * Reads the memory now into the peak; true when the processes went over the size (now or before):
   * a sample above it, or a process the kernel killed for it.
   */
  sample(): boolean {
    const cgroup = this.#options.cgroup
    for (const mb of [memoryNowMb(this.#options.members()), cgroup?.peakMb() ?? null]) {
      if (mb !== null) this.#peakMb = Math.max(this.#peakMb ?? 0, mb)
    }
    const killed = (cgroup?.oomKills() ?? 0) > 0
    if (killed || (this.#peakMb !== null && this.#peakMb > this.limitMb)) this.#over = true
    return this.#over
  }

  /** The processes went over the size: they are (being) killed for it. */
  get over(): boolean {
    return this.#over
  }

  /** `Max Memory Used` as Lambda reports it: the peak, never above the size, the size once over it. Null when never read. */
  get reportedMb(): number | null {
    if (this.#over) return this.limitMb
    return this.#peakMb === null ? null : Math.min(this.#peakMb, this.limitMb)
  }
}

/** How the emulator measures and limits memory on this machine. */
export type MemoryMeasure = 'cgroup v1' | 'cgroup v2' | 'sampled' | 'none'

/**
 * The measure runtimes get on this machine: a memory cgroup where the emulator can make one (and
 * `cgroups` is not turned off), else samples of /proc, else none.
 *
 * @example
 * ```ts
 * memoryMeasure(true) // 'cgroup v1' as root on a cgroup v1 machine; 'sampled' elsewhere on Linux
 * ```
 */
export const memoryMeasure = (cgroups: boolean): MemoryMeasure => {
  const parent = cgroups ? memoryCgroupParent() : null
  if (parent !== null) return `cgroup v${parent.version}`
  return procAvailable() ? 'sampled' : 'none'
}

/**
 * The terminal's line about memory.
 *
 * @example
 * ```ts
 * describeMemory('cgroup v1') // 'memory: V8 heap sized from memoryMb as Lambda's Node.js runtime does; a memory cgroup (v1) per runtime …'
 * ```
 */
export const describeMemory = (measure: MemoryMeasure): string => {
  const heap = "memory: V8 heap sized from memoryMb as Lambda's Node.js runtime does"
  if (measure === 'cgroup v1' || measure === 'cgroup v2') {
    return `${heap}; a memory cgroup (${measure.slice(-2)}) per runtime limits it and its processes to memoryMb (the kernel kills what goes over), with their resident memory sampled every ${SAMPLE_INTERVAL_MS} ms (less often past 8 busy environments) for what the cgroup is not charged (the host's shared pages)`
  }
  if (measure === 'sampled') {
    return `${heap}; Max Memory Used and the limit from the resident memory of each environment's processes, sampled every ${SAMPLE_INTERVAL_MS} ms (less often past 8 busy environments) while it works (no memory cgroup here: a spike shorter than that in a child process can pass unseen)`
  }
  return `${heap}; no /proc and no memory cgroup here, so Max Memory Used is 0 and the size is not enforced`
}
