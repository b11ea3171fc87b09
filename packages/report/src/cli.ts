import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type CloudWatchProgress, sinceToStartTime } from './cloudwatch.js'
import { escapeControls, formatCount, newerSchemaWarning } from './format.js'
import { buildInsightsReport, chooseEngine, type InsightsProgress } from './insights.js'
import { buildReport } from './model.js'
import { type LineSource, readLifecycleLines } from './read.js'
import { renderHtml } from './render-html.js'
import { renderJson, renderTable } from './render-table.js'
import type { ReportModel } from './types.js'

/** Streams of {@link runReportCli}; default the process's own. */
export interface ReportCliIo {
  stdin?: NodeJS.ReadableStream
  stdout?: { write(text: string): unknown }
  stderr?: { write(text: string): unknown; isTTY?: boolean }
}

const USAGE = `Usage: lambda-lifetime report [files or folders...] [-] [options]
       lambda-lifetime report --log-group NAME [--since 24h] [--region REGION] [options]
       (the package's own bin, lambda-lifetime-report, takes the same arguments)

Reads lifecycle lines (@lambda-lifetime/logger) and reports how long containers live.

  files, folders     log files or folders of log stream files (.gz too, hidden files skipped); - reads
                     standard input; default .lambda-lifetime/logs (the emulator's log streams) when it exists
  --log-group NAME   read a CloudWatch Logs group (FilterLogEvents; needs logs:FilterLogEvents)
  --since DURATION   how far back in CloudWatch: 30s, 90m, 24h, 7d, 1w or an ISO date (default 24h)
  --region REGION    AWS region of the log group (default: the SDK's configuration)
  --engine ENGINE    how to read the log group: filter (FilterLogEvents: every lifecycle line, no query
                     charge), insights (Logs Insights aggregates, billed per GB scanned) or auto (insights
                     when the group stores 1 GiB or more; the default)
  --out FILE         write the HTML report (timeline and statistics) to FILE
  --json             print the report as JSON instead of the table
  --max-rows N       timeline rows at most before sampling (default 60)
  --title TEXT       title of the HTML report (default "Container lifetimes")
  -h, --help         show this help

Lines above 256 KiB, lines with values out of range and lines of a newer schema are skipped and counted.
Exit code: 0 on success, 1 when reading failed or no lifecycle line was found, 2 on a usage error.
`

const OPTIONS = {
  'log-group': { type: 'string' },
  since: { type: 'string' },
  region: { type: 'string' },
  engine: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'max-rows': { type: 'string' },
  title: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const EMULATOR_LOG_DIR = join('.lambda-lifetime', 'logs')

class UsageError extends Error {}

const progressBar = (stderr: NonNullable<ReportCliIo['stderr']>) => (progress: CloudWatchProgress) => {
  const filled = Math.round(progress.fraction * 30)
  const text = `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${Math.round(progress.fraction * 100)}% ${formatCount(progress.pages)} pages, ${formatCount(progress.events)} events`
  // On a terminal the bar redraws in place; in a pipe only the final state is worth a line.
  if (stderr.isTTY) stderr.write(`\r${text}${progress.fraction >= 1 ? '\n' : ''}`)
  else if (progress.fraction >= 1) stderr.write(`${text}\n`)
}

const parseCli = (argv: string[], stderr: NonNullable<ReportCliIo['stderr']>) => {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  const maxRows = values['max-rows'] === undefined ? 60 : Number(values['max-rows'])
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError('--max-rows must be a positive integer')
  const logGroup = values['log-group']
  if (!values.help && logGroup === undefined && positionals.length === 0) {
    // After an emulator run in this folder, `lambda-lifetime report` alone reads what it logged.
    const emulatorLogs = join(process.cwd(), EMULATOR_LOG_DIR)
    if (!existsSync(emulatorLogs)) {
      throw new UsageError(
        `give log files or folders, - for standard input, or --log-group NAME (no ${EMULATOR_LOG_DIR} here)`,
      )
    }
    positionals.push(emulatorLogs)
  }
  if (logGroup !== undefined && positionals.length > 0) {
    throw new UsageError('read either files or a --log-group, not both')
  }
  if (
    logGroup === undefined &&
    (values.since !== undefined || values.region !== undefined || values.engine !== undefined)
  ) {
    throw new UsageError('--since, --region and --engine apply to --log-group only')
  }
  const engine = values.engine ?? 'auto'
  if (engine !== 'auto' && engine !== 'filter' && engine !== 'insights') {
    throw new UsageError(`--engine takes filter, insights or auto, not ${engine}`)
  }
  // Checked here, so that a typo is a usage error before any call to AWS.
  if (values.since !== undefined) {
    try {
      sinceToStartTime(values.since, Date.now())
    } catch {
      throw new UsageError(`--since takes 30s, 90m, 24h, 7d, 1w or an ISO date, not ${values.since}`)
    }
  }
  const source: LineSource =
    logGroup === undefined
      ? positionals
      : { logGroup, since: values.since ?? '24h', region: values.region, onProgress: progressBar(stderr) }
  return { values, source, maxRows, engine }
}

const insightsProgress =
  (stderr: NonNullable<ReportCliIo['stderr']>) =>
  ({ queriesDone, queriesStarted, bytesScanned }: InsightsProgress) => {
    const text = `Logs Insights: ${queriesDone} of ${queriesStarted} queries done, ${(bytesScanned / 1e6).toFixed(1)} MB scanned`
    stderr.write(stderr.isTTY ? `\r${text}` : `${text}\n`)
  }

/** The model: from Insights aggregates when the engine says so, else from every line read. */
const readModel = async (
  cli: ReturnType<typeof parseCli>,
  io: ReportCliIo,
  stderr: NonNullable<ReportCliIo['stderr']>,
): Promise<ReportModel> => {
  const { source } = cli
  if (!Array.isArray(source) && 'logGroup' in source && cli.engine !== 'filter') {
    const engine = cli.engine === 'auto' ? await chooseEngine(source) : 'insights'
    if (engine === 'insights') {
      const model = await buildInsightsReport({ ...source, onProgress: insightsProgress(stderr) })
      if (stderr.isTTY) stderr.write('\n')
      return model
    }
  }
  const onWarning = (message: string) => stderr.write(`lambda-lifetime report: ${escapeControls(message)}\n`)
  return buildReport(readLifecycleLines(source, { onWarning, ...(io.stdin ? { stdin: io.stdin } : {}) }))
}

/**
 * The `lambda-lifetime report` command: reads files, folders, standard input or a CloudWatch log group,
 * prints the summary table (or JSON with `--json`) and writes the HTML report with `--out`. Resolves with
 * the exit code: 0, 1 on a read error or when no lifecycle line was found, 2 on a usage error.
 *
 * @example
 * ```ts
 * import { runReportCli } from '@lambda-lifetime/report'
 *
 * process.exitCode = await runReportCli(['.lambda-lifetime/logs', '--out', 'report.html'])
 * ```
 */
export const runReportCli = async (argv: string[], io: ReportCliIo = {}): Promise<number> => {
  const stdout = io.stdout ?? process.stdout
  const stderr = io.stderr ?? process.stderr
  let cli: ReturnType<typeof parseCli>
  try {
    cli = parseCli(argv, stderr)
  } catch (error) {
    stderr.write(`lambda-lifetime report: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (cli.values.help) {
    stdout.write(USAGE)
    return 0
  }
  try {
    const model = await readModel(cli, io, stderr)
    if (cli.values.out !== undefined) {
      await writeFile(cli.values.out, renderHtml(model, { maxRows: cli.maxRows, title: cli.values.title }))
      stderr.write(`wrote ${cli.values.out} (${formatCount(model.summary.containers)} containers)\n`)
    }
    stdout.write(cli.values.json ? renderJson(model) : renderTable(model))
    const warning = newerSchemaWarning(model)
    // The table carries the warning itself; JSON goes to scripts, so the person reads it on stderr.
    if (warning && (cli.values.json || model.lines.lifecycle === 0)) {
      stderr.write(`lambda-lifetime report: ${warning}\n`)
    }
    if (model.lines.lifecycle > 0) return 0
    // Lines of a newer schema only: the logger is there, this reader is too old.
    if (warning) return 1
    stderr.write(
      `lambda-lifetime report: no lifecycle lines among ${formatCount(model.lines.total)} lines; are the functions using lifecycleLogger() from @lambda-lifetime/logger?\n`,
    )
    return 1
  } catch (error) {
    stderr.write(`lambda-lifetime report: ${escapeControls((error as Error).message)}\n`)
    return 1
  }
}
