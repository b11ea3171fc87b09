/**
 * The restart marker: a crash or a timeout resets a Lambda environment (new runtime process) but keeps
 * its /tmp, so a small file there tells the next runtime which container it replaces.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readTmpDir } from './environment.js'

export interface PreviousRuntime {
  readonly containerId: string
  readonly startedAt: number | null
}

interface MarkerFile {
  readonly schema: 1
  readonly containerId: string
  readonly environmentId: string
  readonly startedAt: number
}

/** One marker per runtime thread: Managed Instances run several runtimes in one environment. */
const markerPath = (workerId: number): string =>
  join(readTmpDir(), `.lambda-lifetime-runtime-${workerId}.json`)

const readMarker = (path: string): Partial<MarkerFile> | null => {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<MarkerFile>) : null
  } catch {
    return null
  }
}

/**
 * Reads the marker a previous runtime of this environment left, then writes ours. Runs once, on the
 * first invocation. Needs a real environment id: with a faked log stream name (local tools) a marker
 * left by an unrelated earlier run would be taken for a restart.
 */
export const takeOverRestartMarker = (current: {
  containerId: string
  environmentId: string | null
  workerId: number
  startedAt: number
}): PreviousRuntime | null => {
  if (current.environmentId === null) return null
  const path = markerPath(current.workerId)
  const previous = readMarker(path)
  const marker: MarkerFile = {
    schema: 1,
    containerId: current.containerId,
    environmentId: current.environmentId,
    startedAt: current.startedAt,
  }
  try {
    writeFileSync(path, JSON.stringify(marker))
  } catch {
    // A read-only or full /tmp only costs restart detection; the invocation goes on.
  }
  if (
    previous === null ||
    previous.environmentId !== current.environmentId ||
    typeof previous.containerId !== 'string' ||
    previous.containerId === current.containerId
  ) {
    return null
  }
  return {
    containerId: previous.containerId,
    startedAt: typeof previous.startedAt === 'number' ? previous.startedAt : null,
  }
}
