/**
 * Runtimes must not outlive the emulator. Each runtime process carries the emulator's identity in its
 * environment (`_LAMBDA_LIFETIME_OWNER=<pid>@<start time>`), inherited by everything it starts. An
 * emulator that ended without stopping them (SIGKILL, a crash) leaves them frozen under PID 1; the
 * next emulator's start finds every process whose owner is gone and kills it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import { isAlive, procAvailable, startTime } from './process-tree.js'
import { removeTmpDir } from './sandbox.js'

/** The variable that names the emulator a runtime belongs to. */
export const OWNER_VARIABLE = '_LAMBDA_LIFETIME_OWNER'

let ownMark: string | undefined

/**
 * This emulator's identity: pid and start time (pids are reused, the pair is not).
 *
 * @example
 * ```ts
 * ownerMark() // '4242@1234567'
 * ```
 */
export const ownerMark = (): string => {
  ownMark ??= `${process.pid}@${startTime(process.pid) ?? 'unknown'}`
  return ownMark
}

const ownerGone = (mark: string): boolean => {
  const [pid, started] = mark.split('@')
  const owner = Number(pid)
  return !Number.isInteger(owner) || owner <= 0 || !isAlive(owner) || startTime(owner) !== started
}

interface Marked {
  readonly owner: string
  /** The environment's TMPDIR, when the process had one. */
  readonly tmpDir: string | null
}

const markOf = (pid: string): Marked | null => {
  try {
    const variables = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
    const read = (name: string): string | null => {
      const entry = variables.find((variable) => variable.startsWith(`${name}=`))
      return entry === undefined ? null : entry.slice(name.length + 1)
    }
    const owner = read(OWNER_VARIABLE)
    return owner === null ? null : { owner, tmpDir: read('TMPDIR') }
  } catch {
    return null // Gone, or another user's.
  }
}

/**
 * An orphan's /tmp goes with it (and its empty parents), as its emulator would have removed it at
 * shutdown; only a folder the emulator makes (under `$TMPDIR/lambda-lifetime/`), never whatever else a
 * TMPDIR might name.
 */
const removeOrphanTmp = (tmpDir: string | null): void => {
  const root = join(tmpdir(), 'lambda-lifetime') + sep
  if (tmpDir === null || !resolve(tmpDir).startsWith(root)) return
  removeTmpDir(tmpDir)
}

/**
 * Kills (SIGKILL, which also ends a stopped process) every process left by an emulator that is gone;
 * returns their pids. Without /proc there is nothing to read: none.
 *
 * @example
 * ```ts
 * sweepOrphans() // [31337, 31338]
 * ```
 */
export const sweepOrphans = (): number[] => {
  if (!procAvailable()) return []
  const killed: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    const mark = markOf(name)
    if (mark === null || !ownerGone(mark.owner)) continue
    try {
      process.kill(Number(name), 'SIGKILL')
      killed.push(Number(name))
    } catch {
      // It exited meanwhile.
    }
    removeOrphanTmp(mark.tmpDir)
  }
  return killed
}
