export {
  clampTimerMs,
  MAX_TIMER_MS,
  type RemainingTimeSource,
  remainingBudgetMs,
  TIMED_OUT,
  withinMs,
} from './budget.js'
export { describeDifferences, differingOptions, type OptionDifference } from './compare.js'
export {
  emitPackageWarning,
  optionError,
  type PackageErrorCause,
  resetWarnings,
  WARNING_TYPE,
  warnOnce,
} from './errors.js'
export { describeValue, isPlainObject, isRecord } from './guards.js'
export {
  findProblem,
  type NumberBounds,
  type OptionSchema,
  type Problem,
  type Rule,
  rules,
  type ValidateOptionsSettings,
  validateOptions,
} from './validate.js'
