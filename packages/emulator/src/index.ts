export type { CliIo } from './cli.js'
export { parseDuration, runCli } from './cli.js'
export { type DevServer, type DevServerOptions, describeSkipped, startDevServer } from './dev-server.js'
export { startEmulator } from './emulator.js'
export { InvokeApiError } from './errors.js'
export { eventOptionsFromFlags, readEventInput } from './events/input.js'
export {
  EVENT_SOURCES,
  type EventSourceInfo,
  type EventSourceName,
  type SampleEventOptions,
  sampleEvent,
} from './events/samples.js'
export { fromHttpApiResult, type MatchedRoute, toHttpApiEvent, toRestApiEvent } from './http-api.js'
export { logStreamFile, logStreamName } from './logs.js'
export { type MemoryMeasure, memoryMeasure } from './memory.js'
export { emulatorValidateOptions } from './options.js'
export { createRouter, type Router } from './project/routes.js'
export {
  findProjectFile,
  type HttpRoute,
  loadProject,
  type Project,
  type ProjectFunction,
  TemplateError,
} from './project/template.js'
export {
  type FollowOptions,
  followLogs,
  formatLogLine,
  formatSegmentLine,
  type LogFormat,
  type SegmentLine,
} from './terminal-logs.js'
export type {
  AsyncInvokeOptions,
  Emulator,
  EmulatorEvent,
  EmulatorInitType,
  EmulatorOptions,
  EmulatorXray,
  EnvironmentInfo,
  EnvironmentState,
  FunctionConfig,
  InvocationAnswer,
  InvocationOutcome,
  InvokeOptions,
  InvokeResult,
  LifetimeRules,
  ManagedInstancesOptions,
  RedeploySummary,
  ShutdownReason,
  StopSummary,
  TraceRecord,
  TraceSegment,
  TraceSummary,
  TracingMode,
  XrayCounts,
  XrayLimits,
} from './types.js'
export { type AnswerCounts, countAnswer, describeEvent, renderEnvironments, shortId } from './view.js'
export { daemonDatagram, readDatagram } from './xray-protocol.js'
