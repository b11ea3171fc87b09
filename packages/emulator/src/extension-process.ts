/**
 * The external extensions of one runtime: the executables of the function's extensions folder (its
 * `/opt/extensions`), each started as a process of its own before the runtime, and ended with it.
 * Lambda lists the folder's files (not its folders) and executes each one; one that cannot be executed
 * is an `Extension.LaunchError` (runtime interface emulator: `agents.ListExternalAgentPaths`,
 * `rapid/handlers.go` `doInitExtensions`).
 */
import { readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { OWNER_VARIABLE } from './orphans.js'
import type { RuntimeOutput } from './platform-log.js'
import { RuntimeProcess } from './runtime-process.js'

/** Emulator-internal: marks the processes of one extension, so its descendants are found and ended with it. */
export const EXTENSION_MARK_VARIABLE = '_LAMBDA_LIFETIME_EXTENSION'

/**
 * The executables Lambda would start from an extensions folder: its files, in name order (as Go's
 * `os.ReadDir` lists them). A folder that does not exist holds none, as Lambda assumes.
 *
 * @example
 * ```ts
 * listExtensionFiles('./layer/extensions') // ['/abs/layer/extensions/telemetry-agent']
 * ```
 */
export const listExtensionFiles = (dir: string | null): string[] => {
  if (dir === null) return []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return !statSync(path).isDirectory()
      } catch {
        // A dangling link: Lambda would try to execute it and fail to launch it; so does the spawn.
        return true
      }
    })
}

/**
 * The variables an extension gets: the function's, without the runtime's own (`_HANDLER`,
 * `LAMBDA_TASK_ROOT`, the log group and stream…) and without any starting with `_`, as Lambda's
 * `AgentExecEnv` leaves them out. The emulator's owner mark stays, so an orphaned extension is found.
 *
 * @example
 * ```ts
 * extensionEnv({ _HANDLER: 'index.handler', AWS_REGION: 'us-east-1' }) // { AWS_REGION: 'us-east-1' }
 * ```
 */
export const extensionEnv = (runtime: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const runtimeOnly = new Set([
    'AWS_EXECUTION_ENV',
    'AWS_LAMBDA_LOG_GROUP_NAME',
    'AWS_LAMBDA_LOG_STREAM_NAME',
    'LAMBDA_TASK_ROOT',
    'LAMBDA_RUNTIME_DIR',
    'AWS_XRAY_CONTEXT_MISSING',
  ])
  return Object.fromEntries(
    Object.entries(runtime).filter(
      ([key]) => key === OWNER_VARIABLE || (!runtimeOnly.has(key) && !key.startsWith('_')),
    ),
  )
}

/** What ended an extension process. */
export interface ExtensionExit {
  readonly name: string
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** The spawn failed (not executable, no interpreter): Lambda's launch error. */
  readonly spawnError?: Error
}

export interface ExtensionProcessesOptions {
  readonly files: readonly string[]
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  /** Unique to this runtime generation of this environment: each extension's mark is built on it. */
  readonly markPrefix: string
  /** Each extension's own pipes into the log stream, written as they come (Lambda adds no prefix). */
  readonly output: () => RuntimeOutput
  readonly onExit: (exit: ExtensionExit) => void
}

/** The processes of one runtime's external extensions. */
export class ExtensionProcesses {
  readonly #processes = new Map<string, RuntimeProcess>()

  constructor(options: ExtensionProcessesOptions) {
    for (const file of options.files) {
      const name = basename(file)
      const markValue = `${options.markPrefix}/${name}`
      const output = options.output()
      this.#processes.set(
        name,
        new RuntimeProcess({
          command: file,
          args: [],
          cwd: options.cwd,
          env: { ...options.env, [EXTENSION_MARK_VARIABLE]: markValue },
          mark: `${EXTENSION_MARK_VARIABLE}=${markValue}`,
          onOutput: (source, chunk) => output.write(source, chunk),
          onOutputEnd: (source) => output.end(source),
          onExit: (code, signal, spawnError) =>
            options.onExit({ name, code, signal, ...(spawnError === undefined ? {} : { spawnError }) }),
        }),
      )
    }
  }

  /** The file names, which are the names the extensions must register with. */
  names(): string[] {
    return [...this.#processes.keys()]
  }

  /** Every live process of every extension (for the peer check and the memory figure). */
  members(): number[] {
    return [...this.#processes.values()].flatMap((process) => process.members())
  }

  /** Stops them with the runtime (Lambda freezes the whole sandbox). */
  freeze(): void {
    for (const process of this.#processes.values()) process.freeze()
  }

  thaw(): void {
    for (const process of this.#processes.values()) process.thaw()
  }

  /** SIGKILL to one extension's processes and wait for it to end. */
  async kill(name: string): Promise<void> {
    await this.#processes.get(name)?.kill()
  }

  /** SIGKILL to every extension, at once. */
  killNow(): void {
    for (const process of this.#processes.values()) process.killNow()
  }

  /**
   * Waits until the named extensions exited on their own or the deadline passed; then SIGKILL to
   * whatever is left, as Lambda does after a SHUTDOWN's `deadlineMs`.
   */
  async exitBy(names: readonly string[], deadlineMs: number): Promise<void> {
    const waiting = names.flatMap((name) => {
      const process = this.#processes.get(name)
      return process === undefined ? [] : [process.waitExit()]
    })
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()))
    })
    await Promise.race([Promise.all(waiting), deadline])
    clearTimeout(timer)
    await Promise.all([...this.#processes.values()].map((process) => process.kill()))
  }
}
