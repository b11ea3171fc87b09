export type { ReportCliIo } from './cli.js'
export { runReportCli } from './cli.js'
export type { CloudWatchProgress, CloudWatchSource } from './cloudwatch.js'
export {
  LogAccessDeniedError,
  LogGroupNotFoundError,
  readCloudWatchLines,
  sinceToStartTime,
} from './cloudwatch.js'
export type { InsightsProgress, InsightsSource } from './insights.js'
export {
  buildInsightsReport,
  chooseEngine,
  INSIGHTS_AUTO_BYTES,
  INSIGHTS_RESULT_LIMIT,
  InsightsQueryError,
  insightsBinMs,
  insightsQueries,
  SAVED_INSIGHTS_QUERIES,
} from './insights.js'
export type { BucketAggregate, InvocationAggregate } from './model.js'
export { buildReport, ReportBuilder } from './model.js'
export { parseLifecycleLine } from './parse.js'
export type { LineSource, ReadLinesOptions } from './read.js'
export { readLifecycleLines } from './read.js'
export type { RenderHtmlOptions } from './render-html.js'
export { renderHtml } from './render-html.js'
export type { RenderTableOptions } from './render-table.js'
export { renderJson, renderTable } from './render-table.js'
export type {
  ActivityBins,
  BuildReportOptions,
  ContainerReport,
  CountClass,
  Distribution,
  FunctionReport,
  LatencyDistribution,
  LatencySummary,
  LifecycleFields,
  ParsedLine,
  ReportModel,
  ReportSummary,
  SkipKind,
  SkippedLines,
} from './types.js'
export { BIN_FLAGS, LIFECYCLE_SCHEMA_VERSION } from './types.js'
