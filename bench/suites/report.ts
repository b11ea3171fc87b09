/**
 * The report on a million lines: a synthetic day of lifecycle logs (the report package's seeded test
 * generator, imported by path, mixed with Lambda's lines and noise) read, modelled and rendered as HTML, against the floor
 * of any reader (reading the same file line by line and JSON.parse-ing every JSON line). Each run is a
 * fresh Node process, so its peak memory (max RSS) is its own.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { generateLifecycleLog } from '../../packages/report/test/support/generate.js'
import { comparedCase } from '../harness/cases.js'
import { alternate, compare } from '../harness/measure.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const ROOT = new URL('../../', import.meta.url)
const TIME = 'report: read, model and render HTML'
const READ = 'read the lines and JSON.parse each JSON line'
const MEMORY = 'report: peak memory (max RSS)'
const READ_MEMORY = 'read + JSON.parse: peak memory (max RSS)'

/** Each child prints `<elapsed ms> <max RSS in KB>`. */
const REPORT_CHILD = `
import { buildReport, readLifecycleLines, renderHtml } from '@lambda-lifetime/report'
const start = performance.now()
const html = renderHtml(await buildReport(readLifecycleLines([process.argv[1]])))
if (html.length === 0) throw new Error('empty report')
process.stdout.write(performance.now() - start + ' ' + process.resourceUsage().maxRSS)
`
const READ_CHILD = `
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
const start = performance.now()
let parsed = 0
for await (const line of createInterface({ input: createReadStream(process.argv[1]), crlfDelay: Infinity })) {
  if (line.startsWith('{')) { try { JSON.parse(line); parsed++ } catch {} }
}
if (parsed === 0) throw new Error('no JSON lines')
process.stdout.write(performance.now() - start + ' ' + process.resourceUsage().maxRSS)
`

const runChild = async (code: string, file: string): Promise<[number, number]> => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code, file], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    maxBuffer: 1 << 20,
  })
  const [ms, rssKb] = stdout.trim().split(' ').map(Number)
  return [ms as number, (rssKb as number) / 1024]
}

export const reportSuite: Suite = {
  id: 'report',
  name: 'report',
  async run(mode: Mode): Promise<CaseResult[]> {
    const lines = mode === 'quick' ? 100_000 : 1_000_000
    const dir = await mkdtemp(join(tmpdir(), 'bench-report-'))
    try {
      const file = join(dir, 'day.log')
      const answers = await generateLifecycleLog(
        { lines, containers: Math.round(lines / 3_000), seed: 42 },
        file,
      )
      const memory = new Map<string, number[]>([
        [TIME, []],
        [READ, []],
      ])
      const timed = (name: string, code: string) => async () => {
        const [ms, rssMb] = await runChild(code, file)
        memory.get(name)?.push(rssMb)
        return ms
      }
      const samples = await alternate(
        [
          [TIME, timed(TIME, REPORT_CHILD)],
          [READ, timed(READ, READ_CHILD)],
        ],
        mode === 'quick' ? 1 : 3,
      )
      const note = `${answers.lines.toLocaleString('en-US')} generated lines (seed 42)${mode === 'quick' ? '; quick mode: not the million' : ''}; fresh process per run`
      return [
        comparedCase(
          { name: `${TIME}, ${lines.toLocaleString('en-US')} lines`, baseline: READ, unit: 'ms', note },
          compare(samples.get(TIME) ?? [], samples.get(READ) ?? []),
        ),
        comparedCase(
          { name: MEMORY, baseline: READ_MEMORY, unit: 'MB', note: 'includes Node itself (~45 MB)' },
          compare(memory.get(TIME) ?? [], memory.get(READ) ?? []),
        ),
      ]
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
}
