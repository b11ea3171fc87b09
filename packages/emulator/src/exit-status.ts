/**
 * How Lambda words what ended a runtime: Go's signal names (`signal: killed`). The memory it used is
 * memory.ts's.
 */

/** Go's `syscall.Signal.String()` names, which Lambda writes after `signal: `. */
const GO_SIGNAL_NAMES: Readonly<Record<string, string>> = {
  SIGABRT: 'aborted',
  SIGALRM: 'alarm clock',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGHUP: 'hangup',
  SIGILL: 'illegal instruction',
  SIGINT: 'interrupt',
  SIGKILL: 'killed',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
  SIGSEGV: 'segmentation fault',
  SIGSYS: 'bad system call',
  SIGTERM: 'terminated',
  SIGTRAP: 'trace/breakpoint trap',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'file size limit exceeded',
}

/**
 * `exit status 3` or `signal: segmentation fault`, as in Lambda's `Runtime exited with error: …`.
 *
 * @example
 * ```ts
 * exitStatus(null, 'SIGKILL') // 'signal: killed'
 * ```
 */
export const exitStatus = (code: number | null, signal: NodeJS.Signals | null): string =>
  signal === null ? `exit status ${code}` : `signal: ${GO_SIGNAL_NAMES[signal] ?? signal}`
