/**
 * The README and the CLI cannot drift: every command and flag the README shows (in its shell blocks and
 * its flag table) is in that command's own `--help`, and every flag `--help` lists is in the README.
 */
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { describe, expect, test } from '@jest/globals'
import { runCli } from '@lambda-lifetime/emulator'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const COMMANDS = ['serve', 'invoke', 'event', 'logs', 'report'] as const
type Command = (typeof COMMANDS)[number] | ''

const helpOf = async (command: Command): Promise<string> => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const code = await runCli(command === '' ? ['--help'] : [command, '--help'], {
    out,
    err: new PassThrough(),
  })
  expect(code).toBe(0)
  return text
}

const FLAG = /--[a-z][a-z-]*/g

/** [command, flag] pairs of the `lambda-lifetime …` lines in the README's shell blocks. */
const shellFlags = (): [Command, string][] =>
  [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block]) =>
    (block as string)
      .split('\n')
      .filter((line) => line.startsWith('lambda-lifetime '))
      .flatMap((line) => {
        const command = line.split(/\s+/)[1] as string
        const known = (COMMANDS as readonly string[]).includes(command) ? (command as Command) : ''
        // Comments are prose; flags inside quoted payloads are not flags.
        const code = line.replace(/#.*$/, '').replace(/'[^']*'/g, '')
        return [...code.matchAll(FLAG)].map(([flag]): [Command, string] => [known, flag])
      }),
  )

/** [command, flag] pairs of the README's flag table (`| serve | \`--handler\`, … | … |`). */
const tableFlags = (): [Command, string][] =>
  readme
    .split('\n')
    .map((line) => /^\| (serve|invoke|event|logs|report) \| ([^|]+) \|/.exec(line))
    .filter((match) => match !== null)
    .flatMap((match) =>
      [...(match[2] as string).matchAll(FLAG)].map(([flag]): [Command, string] => [
        match[1] as Command,
        flag,
      ]),
    )

const mentions = (text: string, flag: string): boolean => new RegExp(`${flag}(?![a-z-])`).test(text)

describe('the emulator README', () => {
  test('every flag it shows is in its command’s --help', async () => {
    // Prepare
    const pairs = [...shellFlags(), ...tableFlags()]
    const helps = new Map<Command, string>()
    for (const command of ['', ...COMMANDS] as Command[]) helps.set(command, await helpOf(command))

    // Act
    const missing = pairs.filter(([command, flag]) => !mentions(helps.get(command) as string, flag))

    // Assess: enough flags read that the check means something, and none unknown to the CLI
    expect(pairs.length).toBeGreaterThan(25)
    expect(missing).toEqual([])
  })

  test('every flag serve, invoke, event and logs --help list is in the README', async () => {
    // Prepare
    const documented = new Set(
      [...shellFlags(), ...tableFlags()].map(([command, flag]) => `${command} ${flag}`),
    )

    // Act
    const undocumented: string[] = []
    for (const command of ['serve', 'invoke', 'event', 'logs'] as const) {
      for (const [flag] of (await helpOf(command)).matchAll(FLAG)) {
        if (flag !== '--help' && !documented.has(`${command} ${flag}`))
          undocumented.push(`${command} ${flag}`)
      }
    }

    // Assess
    expect(undocumented).toEqual([])
  })

  test('it names only exports that exist, and the report entry point the report package has', async () => {
    // Prepare
    const emulator = (await import('@lambda-lifetime/emulator')) as Record<string, unknown>
    const report = (await import('@lambda-lifetime/report')) as Record<string, unknown>
    const exportsSection = readme.slice(
      readme.indexOf('## Exports'),
      readme.indexOf('## What each environment gets'),
    )
    // Functions are written `name(…)`; the Emulator's own methods are listed in the same section.
    const methods = new Set(['environments', 'invoke', 'subscribe', 'stop'])
    const named = [...exportsSection.matchAll(/`([a-z][A-Za-z]+)\(/g)]
      .map((match) => match[1] as string)
      .filter((name) => !methods.has(name))

    // Act
    const missing = named.filter((name) => !(name in emulator) && name !== 'runReportCli')

    // Assess
    expect(named.length).toBeGreaterThan(8)
    expect(missing).toEqual([])
    expect(readme).toContain('runReportCli(argv, io)')
    expect(typeof report.runReportCli).toBe('function')
  })
})
