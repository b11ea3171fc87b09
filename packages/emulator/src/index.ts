export type { CliIo } from './cli.js'
export { parseDuration, runCli } from './cli.js'
export { startEmulator } from './emulator.js'
export { InvokeApiError } from './errors.js'
export { fromHttpApiResult, toHttpApiEvent } from './http-api.js'
export { logStreamFile, logStreamName } from './logs.js'
export { emulatorValidateOptions } from './options.js'
export type {
  AsyncInvokeOptions,
  Emulator,
  EmulatorEvent,
  EmulatorInitType,
  EmulatorOptions,
  EnvironmentInfo,
  EnvironmentState,
  FunctionConfig,
  InvocationAnswer,
  InvocationOutcome,
  InvokeOptions,
  InvokeResult,
  LifetimeRules,
  ManagedInstancesOptions,
  ShutdownReason,
  StopSummary,
} from './types.js'
export { type AnswerCounts, countAnswer, describeEvent, renderEnvironments, shortId } from './view.js'
