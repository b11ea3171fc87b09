/**
 * A memory cgroup per runtime, where the machine lets the emulator make one under its own cgroup:
 * the kernel then limits the runtime and everything it starts to the function's memory size, as
 * Lambda's sandbox does, kills on the spot what goes over (SIGKILL, counted in `oom_kill`), and keeps
 * the true peak (`memory.peak` in cgroup v2, `memory.max_usage_in_bytes` in v1). Elsewhere (no
 * cgroup file system, no right to write it, v2 without the memory controller delegated) there is
 * none, and memory.ts samples resident memory instead.
 *
 * Runtimes join their cgroup before Node starts (a shell writes its own pid into `cgroup.procs`, then
 * execs), so no allocation escapes it. Cgroups are named after the emulator's pid: one left behind by
 * an emulator that was killed is removed by the next one.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where this process's memory cgroup is, and which cgroup version governs it. */
export interface CgroupParent {
  readonly version: 1 | 2
  readonly dir: string
}

const PREFIX = 'lambda-lifetime-'

const readOr = (path: string, fallback: string): string => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return fallback
  }
}

/**
 * The folder of this process's memory cgroup, from /proc/self/cgroup and the mounts of
 * /proc/self/mountinfo: v1 when a hierarchy has the memory controller, else v2 when the unified one
 * offers it. Null when there is neither.
 *
 * @example
 * ```ts
 * ownMemoryCgroup() // { version: 1, dir: '/sys/fs/cgroup/memory/user.slice' }
 * ```
 */
export const ownMemoryCgroup = (
  cgroups = readOr('/proc/self/cgroup', ''),
  mounts = readOr('/proc/self/mountinfo', ''),
  read = (path: string): string => readOr(path, ''),
): CgroupParent | null => {
  const mountList = mounts
    .split('\n')
    .map((line) => {
      const [before, after] = line.split(' - ')
      const fields = (before ?? '').split(' ')
      const [type, , options] = (after ?? '').split(' ')
      return { root: fields[3] ?? '', point: fields[4] ?? '', type, options: (options ?? '').split(',') }
    })
    .filter((mount) => mount.type === 'cgroup' || mount.type === 'cgroup2')
  const under = (root: string, point: string, path: string): string | null =>
    path === root || path.startsWith(root === '/' ? '/' : `${root}/`)
      ? join(point, path.slice(root === '/' ? 0 : root.length))
      : null
  for (const line of cgroups.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? []
    if (path === undefined) continue
    if (controllers?.split(',').includes('memory')) {
      const mount = mountList.find((m) => m.type === 'cgroup' && m.options.includes('memory'))
      const dir = mount && under(mount.root, mount.point, path)
      if (dir) return { version: 1, dir }
    }
  }
  const unified = /^0::(.*)$/m.exec(cgroups)?.[1]
  const mount = mountList.find((m) => m.type === 'cgroup2')
  if (unified === undefined || mount === undefined) return null
  const dir = under(mount.root, mount.point, unified)
  if (dir === null || !read(join(mount.point, 'cgroup.controllers')).split(/\s+/).includes('memory'))
    return null
  return { version: 2, dir }
}

const limitFile = (version: 1 | 2): string => (version === 1 ? 'memory.limit_in_bytes' : 'memory.max')

/**
 * Makes the cgroup and sets its limit; null when the machine refuses any of it (the half-made cgroup
 * is removed). No swap: Lambda has none.
 */
const makeCgroup = (parent: CgroupParent, name: string, limitMb: number): string | null => {
  const dir = join(parent.dir, name)
  const bytes = String(limitMb * 1024 * 1024)
  try {
    mkdirSync(dir)
  } catch {
    return null
  }
  try {
    writeFileSync(join(dir, limitFile(parent.version)), bytes)
  } catch {
    rmdirSafely(dir)
    return null
  }
  const noSwap = parent.version === 1 ? ['memory.memsw.limit_in_bytes', bytes] : ['memory.swap.max', '0']
  try {
    writeFileSync(join(dir, noSwap[0] as string), noSwap[1] as string)
  } catch {
    // No swap accounting on this kernel: nothing to turn off.
  }
  return dir
}

const rmdirSafely = (dir: string): boolean => {
  try {
    rmdirSync(dir)
    return true
  } catch {
    return false
  }
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const killAllIn = (dir: string): void => {
  for (const pid of readOr(join(dir, 'cgroup.procs'), '').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // Gone already.
    }
  }
}

/**
 * Removes the cgroups that emulators which are gone left behind (killed before they could), and the
 * processes still in them: they belonged to those emulators' environments.
 *
 * @example
 * ```ts
 * sweepAbandoned(parent) // removes lambda-lifetime-<pid of a dead emulator>-… under parent.dir
 * ```
 */
export const sweepAbandoned = (parent: CgroupParent): void => {
  let names: string[]
  try {
    names = readdirSync(parent.dir).filter((name) => name.startsWith(PREFIX))
  } catch {
    return
  }
  for (const name of names) {
    const owner = Number(name.slice(PREFIX.length).split('-')[0])
    if (owner === process.pid || (Number.isInteger(owner) && pidAlive(owner))) continue
    const dir = join(parent.dir, name)
    killAllIn(dir)
    rmdirSafely(dir)
  }
}

let parentAnswer: CgroupParent | null | undefined

/**
 * The cgroup under which this emulator can make memory cgroups, null when it cannot: found and tried
 * once (a probe cgroup is made, limited and removed). Each call sweeps what killed emulators left.
 *
 * @example
 * ```ts
 * memoryCgroupParent() // { version: 1, dir: '/sys/fs/cgroup/memory/user.slice' } as root on a v1 machine
 * ```
 */
export const memoryCgroupParent = (): CgroupParent | null => {
  if (parentAnswer !== undefined) {
    if (parentAnswer !== null) sweepAbandoned(parentAnswer)
    return parentAnswer
  }
  const parent = process.platform === 'linux' ? ownMemoryCgroup() : null
  if (parent !== null) sweepAbandoned(parent)
  const probe = parent && makeCgroup(parent, `${PREFIX}${process.pid}-probe`, 128)
  parentAnswer = probe ? parent : null
  if (probe) rmdirSafely(probe)
  return parentAnswer
}

const bytesToMb = (text: string): number | null => {
  const bytes = Number(text.trim())
  return text.trim() === '' || !Number.isFinite(bytes) ? null : Math.ceil(bytes / (1024 * 1024))
}

/**
 * One runtime's memory cgroup: its peak, the kernel's out-of-memory kills, the command that starts a
 * process inside it, and its removal once its processes are gone.
 */
export class MemoryCgroup {
  readonly dir: string
  readonly version: 1 | 2

  private constructor(dir: string, version: 1 | 2) {
    this.dir = dir
    this.version = version
  }

  /**
   * A cgroup limited to `limitMb`, named after the emulator and `name`; null when the machine gives none.
   *
   * @example
   * ```ts
   * MemoryCgroup.create('a1b2c3-1', 128)?.dir // '/sys/fs/cgroup/memory/…/lambda-lifetime-4242-a1b2c3-1'
   * ```
   */
  static create(name: string, limitMb: number, parent = memoryCgroupParent()): MemoryCgroup | null {
    if (parent === null) return null
    const dir = makeCgroup(parent, `${PREFIX}${process.pid}-${name}`, limitMb)
    return dir === null ? null : new MemoryCgroup(dir, parent.version)
  }

  /** `command args`, started inside the cgroup: a shell joins it, then becomes the command (same pid). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return {
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.dir, command, ...args],
    }
  }

  /** The peak of its processes' memory since it was made, in MB; null when unreadable. */
  peakMb(): number | null {
    const file = this.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak'
    return bytesToMb(readOr(join(this.dir, file), ''))
  }

  /** How many of its processes the kernel killed for going over the limit. */
  oomKills(): number {
    const file = this.version === 1 ? 'memory.oom_control' : 'memory.events'
    return Number(/^oom_kill (\d+)$/m.exec(readOr(join(this.dir, file), ''))?.[1] ?? 0)
  }

  /**
   * Removes it once its processes are gone, killing those still in it (they are the environment's),
   * trying for at most `withinMs`. True when it is gone.
   */
  async remove(withinMs = 2_000): Promise<boolean> {
    const deadline = Date.now() + withinMs
    for (;;) {
      if (rmdirSafely(this.dir) || !exists(this.dir)) return true
      if (Date.now() > deadline) return false
      killAllIn(this.dir)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

const exists = (path: string): boolean => {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}
