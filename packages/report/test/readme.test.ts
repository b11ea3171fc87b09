import { readFile } from 'node:fs/promises'
import { describe, expect, it } from '@jest/globals'
import { runReportCli, sinceToStartTime } from '@lambda-lifetime/report'

const README = new URL('../README.md', import.meta.url)

const help = async (): Promise<string> => {
  let text = ''
  const code = await runReportCli(['--help'], { stdout: { write: (chunk: string) => (text += chunk) } })
  expect(code).toBe(0)
  return text
}

const flagsIn = (text: string): Set<string> => new Set(text.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [])

describe('the README and the CLI help say the same (issue 11, docs)', () => {
  it('names every flag of the help, and the help every flag the README uses', async () => {
    // Prepare
    const readme = await readFile(README, 'utf8')

    // Act
    const usage = await help()

    // Assess
    expect([...flagsIn(readme)].sort()).toEqual([...flagsIn(usage)].sort())
  })

  it('accepts every --since form the README lists, and the help lists them too', async () => {
    // Prepare
    const readme = await readFile(README, 'utf8')
    const row = readme.split('\n').find((line) => line.startsWith('| `--since'))
    const forms = [...(row?.matchAll(/`(\d+[a-z])`/g) ?? [])].map((match) => match[1] as string)
    const now = Date.parse('2026-11-27T12:00:00Z')

    // Act
    const usage = await help()

    // Assess
    expect(forms).toEqual(expect.arrayContaining(['90m', '24h', '7d', '1w']))
    for (const form of forms) {
      expect(usage).toContain(form)
      expect(sinceToStartTime(form, now)).toBeLessThan(now)
    }
    expect(usage).toContain('ISO date')
    expect(sinceToStartTime('2026-11-20', now)).toBe(Date.parse('2026-11-20'))
  })

  it('gives the exit codes in the help as the README does', async () => {
    // Prepare
    const readme = await readFile(README, 'utf8')

    // Act
    const usage = await help()

    // Assess
    expect(readme.replace(/\s+/g, ' ')).toContain(
      'The exit code is 0 on success, 1 when reading failed or no lifecycle line was found, 2 on a usage error.',
    )
    expect(usage).toContain(
      'Exit code: 0 on success, 1 when reading failed or no lifecycle line was found, 2 on a usage error.',
    )
  })
})
