/**
 * The phases of an environment's life, as one type, and the legal moves between them. The data of a
 * phase lives in it: the runtime only where one runs, the init attempt only during init, the wish to
 * retire only where it can wait.
 */
import type { ExtensionProcesses } from './extension-process.js'
import type { ExtensionRegistry } from './extensions.js'
import type { MemoryMonitor } from './memory.js'
import type { RuntimeOutput } from './platform-log.js'
import type { RuntimeProcess } from './runtime-process.js'
import type { ShutdownReason } from './types.js'

/** One runtime process with what lives and dies with it: its output pipes and its extensions. */
export interface Runtime {
  readonly process: RuntimeProcess
  readonly output: RuntimeOutput
  readonly extensions: ExtensionRegistry
  /** The processes of its external extensions, started before it; null when the function has none. */
  readonly external: ExtensionProcesses | null
  /** Init Duration, shown on the first REPORT line after init and then cleared. */
  initDurationMs: number | null
  /** Peak memory of its processes so far, kept for the REPORT after they die, and the memory limit. */
  readonly memory: MemoryMonitor
}

export interface InitAttempt {
  readonly startedAt: number
  readonly timer: NodeJS.Timeout
  /**
   * An init inside an invocation (a retry of a failed init, or the re-init after a reset), limited by
   * that invocation's timeout, which it uses up: no Init Duration of its own, its time is in Duration.
   */
  readonly suppressed: boolean
  /** The runtime asked for its first invocation; init ends when every extension asked too. */
  readonly runtimeAsked: boolean
}

/**
 * Where the environment is. `retiring` (past its maximum lifetime: no new invocation, shut down once
 * idle) exists only where it can wait; an idle environment that retires shuts down at once.
 */
export type Phase =
  | { readonly name: 'starting'; readonly retiring: boolean }
  | {
      readonly name: 'initializing'
      readonly runtime: Runtime
      readonly init: InitAttempt
      readonly retiring: boolean
    }
  | { readonly name: 'idle'; readonly runtime: Runtime }
  /**
   * After a timeout or a crash: no runtime until the next invocation, which starts one (a
   * suppressed init inside that invocation's timeout, as Lambda re-initializes lazily).
   */
  | { readonly name: 'reset' }
  | { readonly name: 'busy'; readonly runtime: Runtime; readonly retiring: boolean }
  | { readonly name: 'shutting-down'; readonly reason: ShutdownReason; readonly runtime: Runtime | null }
  | { readonly name: 'stopped'; readonly reason: ShutdownReason }

export type PhaseName = Phase['name']

/** The legal moves; anything else is a bug in environment.ts. */
export const NEXT: Readonly<Record<PhaseName, readonly PhaseName[]>> = {
  starting: ['starting', 'initializing', 'shutting-down'],
  initializing: ['initializing', 'busy', 'idle', 'reset', 'shutting-down'],
  idle: ['busy', 'initializing', 'reset', 'shutting-down'],
  busy: ['busy', 'idle', 'initializing', 'reset', 'shutting-down'],
  reset: ['initializing', 'shutting-down'],
  'shutting-down': ['shutting-down', 'stopped'],
  stopped: [],
}
