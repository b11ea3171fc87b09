/**
 * Captures what Powertools Logger really prints. With `POWERTOOLS_DEV=true` a Logger writes through the
 * global `console` (set when the Logger is created), so spying on its methods sees every line; each
 * line is parsed as JSON, so a line that is not valid JSON fails the test that wrote it.
 */
import { jest } from '@jest/globals'

export type Line = Record<string, unknown>

const METHODS = ['trace', 'debug', 'info', 'warn', 'error', 'log'] as const

/** Starts capturing; returns the array the parsed lines are pushed to. Restore with `jest.restoreAllMocks()`. */
export const captureLines = (): Line[] => {
  process.env.POWERTOOLS_DEV = 'true'
  const lines: Line[] = []
  for (const method of METHODS) {
    jest.spyOn(console, method).mockImplementation((text: unknown) => {
      lines.push(JSON.parse(String(text)) as Line)
    })
  }
  return lines
}

/** The lifecycle lines of one kind. */
export const linesOf = (lines: Line[], kind: string): Line[] =>
  lines.filter((line) => 'lifecycle_schema' in line && line.message === kind)

/** Lines the user wrote (no `lifecycle_schema`). */
export const userLines = (lines: Line[]): Line[] => lines.filter((line) => !('lifecycle_schema' in line))

/**
 * Forgets the lifecycleLoggers of earlier tests, as `resetContainer()` forgets their listeners: a new
 * test is a new process with no lifecycleLogger yet (the registry counts them to pick its fast path).
 */
export const forgetLifecycleLoggers = (): void => {
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('lambda-lifetime.logger')]
}
