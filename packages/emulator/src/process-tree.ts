/**
 * What Linux's /proc tells about the processes of one environment: the tree under its runtime, the
 * processes that left the tree but still carry the environment's mark, and who holds a loopback
 * socket. Elsewhere (no /proc) each answer is "unknown", and callers fall back to the process group.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { open } from 'node:fs/promises'

/** Whether this system has the /proc files these helpers read. */
export const procAvailable = (): boolean => {
  try {
    readFileSync('/proc/self/stat')
    return true
  } catch {
    return false
  }
}

const readOr = (path: string, fallback: string): string => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return fallback
  }
}

const listOr = (path: string): string[] => {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}

/** The direct children of a process, from `/proc/<pid>/task/<tid>/children` of each of its threads. */
const childrenOf = (pid: number): number[] =>
  listOr(`/proc/${pid}/task`).flatMap((tid) =>
    readOr(`/proc/${pid}/task/${tid}/children`, '')
      .split(' ')
      .filter((part) => part.length > 0)
      .map(Number),
  )

/**
 * A process and all its descendants, parents first. A process whose parent exited was adopted by
 * init and is no longer in the tree: `markedProcesses` finds those.
 *
 * @example
 * ```ts
 * processTree(runtimePid) // [runtimePid, childPid, grandchildPid]
 * ```
 */
export const processTree = (root: number): number[] => {
  const seen = new Set<number>()
  const pending = [root]
  while (pending.length > 0) {
    const pid = pending.shift() as number
    if (seen.has(pid) || !isAlive(pid)) continue
    seen.add(pid)
    pending.push(...childrenOf(pid))
  }
  return [...seen]
}

/** State letter of a process (`R`, `S`, `T` stopped, `Z` zombie...), null when there is no such process. */
export const processState = (pid: number): string | null => {
  const stat = readOr(`/proc/${pid}/stat`, '')
  // The command name in parentheses may hold spaces or parentheses: the state follows the last ')'.
  const end = stat.lastIndexOf(')')
  return end < 0 ? null : (stat[end + 2] ?? null)
}

/**
 * When a process started (clock ticks since boot, field 22 of its stat), null when there is no such
 * process: with its pid, the identity of a process, since pids are reused.
 */
export const startTime = (pid: number): string | null => {
  const stat = readOr(`/proc/${pid}/stat`, '')
  const end = stat.lastIndexOf(')')
  // Fields after the command name start with the state, field 3; the start time is field 22.
  return end < 0 ? null : (stat.slice(end + 2).split(' ')[19] ?? null)
}

/** Alive means it exists and is not a zombie waiting for its parent to reap it. */
export const isAlive = (pid: number): boolean => {
  const state = processState(pid)
  return state !== null && state !== 'Z' && state !== 'X'
}

/**
 * Processes whose environment holds `mark` (a `NAME=value` entry), wherever they are in the process
 * tree: how a daemon that double-forked away from the runtime is still found. Only processes of this
 * user are readable, which is all the runtime can start.
 *
 * @example
 * ```ts
 * markedProcesses('AWS_LAMBDA_LOG_STREAM_NAME=2026/12/04/[$LATEST]9f0c...')
 * ```
 */
export const markedProcesses = (mark: string): number[] => {
  const entry = `\0${mark}\0`
  return listOr('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((name) => `\0${readOr(`/proc/${name}/environ`, '')}`.includes(entry))
    .map(Number)
}

const hexPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0')

/**
 * The inode of the client end of a loopback TCP connection, from /proc/net/tcp: the socket whose
 * local port is the client's and whose remote port is the server's. Null when it is not listed.
 * Read without blocking: on a busy machine the table has thousands of lines (TIME_WAIT included).
 *
 * @example
 * ```ts
 * await clientSocketInode(socket.remotePort, serverPort) // '123456'
 * ```
 */
export const clientSocketInode = async (clientPort: number, serverPort: number): Promise<string | null> => {
  const local = `:${hexPort(clientPort)}`
  const remote = `:${hexPort(serverPort)}`
  const find = (line: string): string | null => {
    const fields = line.trim().split(/\s+/)
    return fields[1]?.endsWith(local) && fields[2]?.endsWith(remote) ? (fields[9] ?? null) : null
  }
  // The kernel writes the table as it is read: stopping at the line saves it the rest.
  const file = await open('/proc/net/tcp').catch(() => null)
  if (file === null) return null
  try {
    let rest = ''
    for await (const chunk of file.createReadStream({
      encoding: 'utf8',
      highWaterMark: 32 * 1024,
      autoClose: false,
    })) {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() as string
      for (const line of lines) {
        const inode = find(line)
        if (inode !== null) return inode
      }
    }
    return find(rest)
  } finally {
    await file.close()
  }
}

/** Whether one of the processes has the socket with this inode among its open files. */
export const holdsSocket = (pids: readonly number[], inode: string): boolean => {
  const target = `socket:[${inode}]`
  return pids.some((pid) =>
    listOr(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target
      } catch {
        return false
      }
    }),
  )
}
