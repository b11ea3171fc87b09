/**
 * The one short form of a container's identity that the scripts show to people: the first 8 hex digits
 * of its container id (the random UUID that `containerLifetime()` mints, which answers carry). The
 * emulator's events name environments, not containers: a container id is minted inside the runtime on its
 * first invocation and written on every lifecycle line (`container_id`) of the environment's log stream,
 * so that is where the scripts read it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

/** How much of the end of a log stream is searched for the latest container id. */
const TAIL_BYTES = 64 * 1024
const CONTAINER_ID = /"container_id":"([0-9a-f-]{8,})"/g

/**
 * The short form of a container id: its first 8 hex digits; `-` when there is none.
 *
 * @example
 * shortContainerId('1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d') // '1a2b3c4d'
 */
export const shortContainerId = (containerId) =>
  typeof containerId === 'string' && containerId.length > 0 ? containerId.slice(0, 8) : '-'

/**
 * The container id named last in a log stream file, or null (no invocation yet, or no file).
 *
 * @example
 * latestContainerId(event.environment.logFile) // '1a2b3c4d-5e6f-…' after the first invocation
 */
export const latestContainerId = (logFile) => {
  let fd
  try {
    fd = openSync(logFile, 'r')
  } catch {
    return null
  }
  try {
    const size = fstatSync(fd).size
    const length = Math.min(size, TAIL_BYTES)
    const tail = Buffer.alloc(length)
    readSync(fd, tail, 0, length, size - length)
    const ids = [...tail.toString('utf8').matchAll(CONTAINER_ID)]
    return ids.at(-1)?.[1] ?? null
  } finally {
    closeSync(fd)
  }
}

/**
 * The container an emulator environment runs now: the id the emulator reports when it does, else the
 * latest one its log stream names.
 *
 * @example
 * const label = `container ${shortContainerId(containerOf(event.environment))}`
 */
export const containerOf = (environment) =>
  environment?.containerId ?? (environment?.logFile ? latestContainerId(environment.logFile) : null)
