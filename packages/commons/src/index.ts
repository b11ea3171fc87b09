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
  type ContainerShutdownLine,
  type ContainerStartLine,
  type ContainerThawLine,
  canonicalEventName,
  checkLifecycleLine,
  type InvocationEndLine,
  type InvocationKeys,
  LEGACY_EVENT_NAMES,
  LIFECYCLE_EVENTS,
  LIFECYCLE_LINE_KEYS,
  LIFECYCLE_LINE_KINDS,
  LIFECYCLE_SCHEMA_VERSION,
  type LifecycleEventName,
  type LifecycleKey,
  type LifecycleKeySpec,
  type LifecycleKeyType,
  type LifecycleLine,
  type LifecycleLineBase,
  type LifecycleLineKind,
  type LifecycleOutcome,
  type LifecycleStartType,
  SIBLING_EVENT_FAMILIES,
  type SiblingEventLine,
  type TimeoutWarningLine,
} from './lifecycle.js'
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
