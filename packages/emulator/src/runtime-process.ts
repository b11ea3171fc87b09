/**
 * The runtime process of an environment and everything it starts: spawn, freeze and thaw, SIGTERM
 * with a budget, and kill. Lambda freezes and ends every process in the sandbox, so signals go to
 * the process group and also to every descendant that left it (`detached: true` makes a new group)
 * and to every process still carrying the environment's mark after its parent exited.
 * Hot reload would replace this process and keep the rest of the environment (a reset does it today).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { isAlive, markedProcesses, processTree, startTime } from './process-tree.js'

export interface RuntimeProcessOptions {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  /**
   * One `NAME=value` entry of `env` unique to this environment: processes that carry it belong to it
   * even after their parent exited.
   */
  readonly mark: string
  readonly onOutput: (source: 'stdout' | 'stderr', chunk: Buffer) => void
  /** A pipe closed: every process that held it ended. */
  readonly onOutputEnd: (source: 'stdout' | 'stderr') => void
  /**
   * Once, when the process ended or could not be started (then with the spawn's error: an extension
   * that is not executable is Lambda's `Extension.LaunchError`).
   */
  readonly onExit: (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => void
  /**
   * Spawn only when `start()` is called: the runtime of an environment with external extensions
   * starts once they all registered, as Lambda starts it.
   */
  readonly deferred?: boolean
}

/** Sends a signal to one process or (negative pid) a group; it may be gone already. */
const signal = (pid: number, name: NodeJS.Signals): void => {
  try {
    process.kill(pid, name)
  } catch {
    // ESRCH: it exited on its own.
  }
}

/** Runtime processes alive in this Node.js process, killed with their trees if it exits without stopping them. */
const live = new Set<RuntimeProcess>()
const killLive = (): void => {
  for (const runtime of live) runtime.killNow()
}

const track = (runtime: RuntimeProcess, alive: boolean): void => {
  if (alive) {
    if (live.size === 0) process.on('exit', killLive)
    live.add(runtime)
    return
  }
  live.delete(runtime)
  if (live.size === 0) process.off('exit', killLive)
}

export class RuntimeProcess {
  readonly #options: RuntimeProcessOptions
  #child: ChildProcess | null = null
  readonly #mark: string
  readonly #exit: Promise<void>
  #resolveExit: () => void = () => undefined
  /**
   * Every process seen in the tree so far, with its start time: a child whose parent exited is still
   * ours, and a pid that a new process took over is not.
   */
  readonly #members = new Map<number, string | null>()
  #exited = false
  /** What the freeze stopped, for the thaw; null when not frozen. */
  #frozen: number[] | null = null

  constructor(options: RuntimeProcessOptions) {
    this.#options = options
    this.#mark = options.mark
    this.#exit = new Promise<void>((resolve) => {
      this.#resolveExit = resolve
    })
    if (options.deferred !== true) this.start()
  }

  #ended(code: number | null, name: NodeJS.Signals | null, spawnError?: Error): void {
    if (this.#exited) return
    this.#exited = true
    track(this, false)
    this.#resolveExit()
    this.#options.onExit(code, name, spawnError)
  }

  /** Spawns the process (once; a deferred process waits for this call). */
  start(): void {
    if (this.#child !== null || this.#exited) return
    const options = this.#options
    // Its own process group, so that one signal reaches the processes that did not leave it.
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    child.stdout?.on('data', (chunk: Buffer) => options.onOutput('stdout', chunk))
    child.stderr?.on('data', (chunk: Buffer) => options.onOutput('stderr', chunk))
    child.stdout?.on('end', () => options.onOutputEnd('stdout'))
    child.stderr?.on('end', () => options.onOutputEnd('stderr'))
    child.once('exit', (code, name) => this.#ended(code, name))
    // A spawn that fails (a working directory that vanished, no executable) ends the same way.
    child.once('error', (error) => this.#ended(null, null, error))
    if (child.pid !== undefined) track(this, true)
  }

  /** Process id (also the process group id), null when the spawn failed. */
  get pid(): number | null {
    return this.#child?.pid ?? null
  }

  get frozen(): boolean {
    return this.#frozen !== null
  }

  /**
   * The runtime and every live process it started, also those that left its group or its tree.
   * Without /proc there is no telling: none, and signals reach the process group only.
   */
  members(): number[] {
    const pid = this.pid
    if (pid === null) return []
    const tree = new Set(processTree(pid))
    for (const member of tree) this.#members.set(member, startTime(member))
    for (const [member, started] of this.#members) {
      if (tree.has(member)) continue
      if (!isAlive(member) || startTime(member) !== started) this.#members.delete(member)
    }
    return [...this.#members.keys()]
  }

  /**
   * Stops every process of the environment (SIGSTOP), until no new one appears: a process that was
   * still running may have started another one. Returns false when it was frozen already or is gone.
   */
  freeze(): boolean {
    const pid = this.pid
    if (pid === null || this.#exited || this.#frozen !== null) return false
    this.#frozen = this.#stopAll([], 'SIGSTOP')
    return true
  }

  /**
   * Lets every process run again (SIGCONT). Nothing frozen could start a process, so the processes
   * stopped by the freeze are all there is. Returns false when it was not frozen.
   */
  thaw(): boolean {
    if (this.#frozen === null) return false
    this.#signalAll(this.#frozen, 'SIGCONT')
    this.#frozen = null
    return true
  }

  /**
   * Signals the group, then each member. The group's processes stopped before the walk that found
   * the others; one of those others may have started a process before its own signal, so when there
   * are others the walk is repeated until it finds nothing new.
   */
  #stopAll(extra: readonly number[], name: NodeJS.Signals): number[] {
    const pid = this.pid as number
    signal(-pid, name)
    const signalled = new Set<number>()
    for (let round = 0; round < 5; round += 1) {
      const fresh = [...this.members(), ...extra].filter((member) => !signalled.has(member))
      for (const member of fresh) {
        signal(member, name)
        signalled.add(member)
      }
      if (fresh.length === 0 || signalled.size === 1) break
    }
    return [...signalled]
  }

  #signalAll(pids: readonly number[], name: NodeJS.Signals): void {
    signal(-(this.pid as number), name)
    for (const member of pids) signal(member, name)
  }

  /**
   * SIGKILL to every process of the environment, at once and synchronously (the exit hook needs it).
   * The processes are stopped first so that none of them starts another one in between.
   */
  killNow(): void {
    const pid = this.pid
    // Not started yet: it never will be (and nothing ended, so nobody is told).
    if (this.#child === null && !this.#exited) {
      this.#exited = true
      this.#resolveExit()
    }
    if (pid === null) return
    const all = this.#stopAll(markedProcesses(this.#mark), 'SIGSTOP')
    this.#signalAll(all, 'SIGKILL')
    this.#frozen = null
  }

  /** Kills every process of the environment and waits for the runtime process to exit. */
  async kill(): Promise<void> {
    this.killNow()
    await this.#exit
  }

  /**
   * Lambda's graceful end: SIGTERM (and SIGCONT, should it be frozen) to every process, the budget
   * to exit, then SIGKILL to whatever is left.
   */
  async terminate(budgetMs: number): Promise<void> {
    await this.askToExit(budgetMs)
    await this.kill()
  }

  /**
   * SIGTERM (and SIGCONT) to every process of the environment, then waits until it exits or the
   * budget is spent; kills nothing. Resolves true when it exited.
   */
  async askToExit(budgetMs: number): Promise<boolean> {
    if (this.pid !== null && !this.#exited) {
      const members = this.members()
      this.#signalAll(members, 'SIGTERM')
      this.#signalAll(members, 'SIGCONT')
      this.#frozen = null
      let timer: NodeJS.Timeout | undefined
      const budget = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, budgetMs)
      })
      await Promise.race([this.#exit, budget])
      clearTimeout(timer)
    }
    return this.#exited
  }

  /** Resolves when the process ended. */
  waitExit(): Promise<void> {
    return this.#exit
  }
}
