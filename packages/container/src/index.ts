export { emitLifecycle, onLifecycle } from './events.js'
export { enableGracefulShutdown, gracefulShutdownValidateOptions } from './extension.js'
export { currentInvocation, getContainer } from './invocation.js'
export { containerLifetime, containerLifetimeValidateOptions } from './middleware.js'
export { onShutdown, resetContainerState } from './shutdown.js'
export type {
  ContainerContext,
  ContainerLifetimeOptions,
  ContainerRestartEvent,
  ContainerShutdownEvent,
  ContainerSnapshot,
  ContainerStartEvent,
  ContainerThawEvent,
  GracefulShutdownOptions,
  GracefulShutdownResult,
  InitType,
  InvocationEndEvent,
  InvocationOutcome,
  InvocationStartEvent,
  InvocationView,
  LifecycleEvent,
  LifecycleEventMap,
  LifecycleEventType,
  LifecycleListener,
  LifecycleRequest,
  MiddlewareLike,
  MiddyRequestLike,
  ShutdownHook,
  ShutdownHookOptions,
  ShutdownHookReport,
  StartType,
} from './types.js'
