/**
 * `npm run bench [-- --quick] [-- --only=<id>[,<id>]]`: runs every suite, prints PASS/FAIL per target, and
 * writes bench/results.json and bench/RESULTS.md. Never a test: timings are reported, not asserted.
 * The soak suite takes minutes and runs only when named (`--only=soak`).
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { skippedCase } from './harness/cases.js'
import { printCase, writeResults } from './harness/output.js'
import type { CaseResult, Machine, Mode, Results, Suite } from './harness/types.js'
import { breakerSuite } from './suites/breaker.js'
import { coldSuite } from './suites/cold.js'
import { emulatorSuite } from './suites/emulator.js'
import { fleetBreakerSuite } from './suites/fleet-breaker.js'
import { fleetPoolSuite } from './suites/fleet-pool.js'
import { metricsSuite } from './suites/metrics.js'
import { poolSuite } from './suites/pool.js'
import { reloadSuite } from './suites/reload.js'
import { reportSuite } from './suites/report.js'
import { soakSuite } from './suites/soak.js'
import { telemetrySuite } from './suites/telemetry.js'
import { warmSuite } from './suites/warm.js'

const suites: readonly Suite[] = [
  warmSuite,
  coldSuite,
  poolSuite,
  breakerSuite,
  emulatorSuite,
  reportSuite,
  metricsSuite,
]
/** Suites that run only when `--only` names them. */
const namedOnly: readonly Suite[] = [
  soakSuite,
  reloadSuite,
  fleetBreakerSuite,
  fleetPoolSuite,
  telemetrySuite,
]

const triple = (values: number[]): [number, number, number] => [
  values[0] ?? 0,
  values[1] ?? 0,
  values[2] ?? 0,
]

const describeMachine = (): Machine => ({
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: availableParallelism(),
  loadAverageAtStart: triple(loadavg()),
  platform: `${platform()} ${release()}`,
  totalMemoryMB: Math.round(totalmem() / 2 ** 20),
})

/** A suite that breaks (a package mid-change, a server that will not start) costs its cases, not the run. */
const runSuite = async (suite: Suite, mode: Mode): Promise<CaseResult[]> => {
  try {
    return await suite.run(mode)
  } catch (error) {
    console.error(error)
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return [skippedCase({ name: suite.name, baseline: null, unit: '-' }, `suite failed: ${reason}`)]
  }
}

const COMMITTED_JSON = new URL('results.json', import.meta.url)
const COMMITTED_MARKDOWN = new URL('RESULTS.md', import.meta.url)

/**
 * Named-only suites never run in a full run, so a full-mode run of only them puts their cases into the
 * committed results, replacing the cases of the same names and keeping every other one (and the full
 * run's date and machine at the top; each suite's README section dates its own figures).
 */
const mergeIntoCommitted = async (results: Results): Promise<void> => {
  const committed = JSON.parse(await readFile(COMMITTED_JSON, 'utf8')) as Results
  const fresh = new Set(results.cases.map((result) => result.name))
  const cases = [...committed.cases.filter((result) => !fresh.has(result.name)), ...results.cases]
  await writeResults({ ...committed, cases }, COMMITTED_JSON, COMMITTED_MARKDOWN)
}

const main = async (): Promise<void> => {
  const args = process.argv.slice(2)
  const mode: Mode = args.includes('--quick') ? 'quick' : 'full'
  const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length)
  const machine = describeMachine()
  const startedAt = performance.now()
  console.log(
    `lambda-lifetime bench (${mode}) on Node ${process.version}, ${machine.cpu} x${machine.cores}, ` +
      `load ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`,
  )
  const cases = []
  const ran: Suite[] = []
  for (const suite of [...suites, ...namedOnly]) {
    const names = only?.split(',') ?? []
    const named = names.includes(suite.id) || (suite.group !== undefined && names.includes(suite.group))
    if (only !== undefined ? !named : namedOnly.includes(suite)) continue
    console.log(`\n${suite.name}`)
    ran.push(suite)
    for (const result of await runSuite(suite, mode)) {
      printCase(result)
      cases.push(result)
    }
  }
  const results: Results = {
    node: process.version,
    date: new Date().toISOString(),
    mode,
    machine: { ...machine, loadAverageAtEnd: triple(loadavg()) },
    durationS: Math.round((performance.now() - startedAt) / 100) / 10,
    cases,
  }
  // Only a full run of every suite replaces the committed results; quick and partial runs go to .tmp/.
  const scratch = only !== undefined || mode === 'quick'
  if (mode === 'full' && ran.length > 0 && ran.every((suite) => namedOnly.includes(suite))) {
    await mergeIntoCommitted(results)
  }
  await writeResults(
    results,
    new URL(scratch ? '.tmp/results.json' : 'results.json', import.meta.url),
    new URL(scratch ? '.tmp/RESULTS.md' : 'RESULTS.md', import.meta.url),
  )
  const failed = cases.filter((result) => result.pass === false)
  console.log(
    `\n${cases.filter((result) => result.pass === true).length} PASS, ${failed.length} FAIL, ` +
      `${cases.filter((result) => result.note?.startsWith('skipped')).length} skipped; ${results.durationS} s`,
  )
}

await main()
