/**
 * How Lambda words what ended a runtime and how much memory it used: Go's signal names
 * (`signal: killed`), and a peak of memory kept while the processes live, so that a REPORT after a
 * timeout or a crash still has it.
 */
import { readFileSync } from 'node:fs'

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

const residentKb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/**
 * The peak memory of a runtime and what it started, in MB: the largest of what was seen so far, the
 * runtime's own high-water mark, and the group's resident memory now. Null when nothing was ever
 * readable (no /proc).
 *
 * @example
 * ```ts
 * const peak = samplePeakMb(previousPeak, runtime.members()) // 87
 * ```
 */
export const samplePeakMb = (previous: number | null, pids: readonly number[]): number | null => {
  const [runtime] = pids
  if (runtime === undefined) return previous
  const groupKb = pids.reduce((sum, pid) => sum + residentKb(pid, 'VmRSS'), 0)
  const nowMb = Math.ceil(Math.max(groupKb, residentKb(runtime, 'VmHWM')) / 1024)
  if (nowMb === 0) return previous
  return Math.max(previous ?? 0, nowMb)
}
