export { LIFECYCLE_SCHEMA_VERSION } from './lines.js'
export { lifecycleLogger } from './middleware.js'
export { lifecycleLoggerValidateOptions } from './options.js'
export type {
  ContainerShutdownLine,
  ContainerStartLine,
  ContainerThawLine,
  InvocationEndLine,
  InvocationKeys,
  LifecycleLevel,
  LifecycleLevelKey,
  LifecycleLevels,
  LifecycleLine,
  LifecycleLineBase,
  LifecycleLoggerOptions,
  LifecycleLoggerTarget,
  SiblingEventLine,
  TimeoutWarningLine,
} from './types.js'
