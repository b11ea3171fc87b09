export { getBreaker } from './breaker.js'
export {
  type DynamoDbBreakerStoreOptions,
  dynamoDbBreakerStore,
  type StoreErrorPolicy,
} from './dynamodb.js'
export { CircuitOpenError, type CircuitOpenReason } from './errors.js'
export { circuitBreaker, circuitBreakerValidateOptions } from './middleware.js'
export type {
  Breaker,
  BreakerCloseEvent,
  BreakerContext,
  BreakerHalfOpenEvent,
  BreakerLifecycleEvent,
  BreakerOpenEvent,
  BreakerRecord,
  BreakerSource,
  BreakerState,
  BreakerStore,
  BreakerWrite,
  CircuitBreakerOptions,
  OpossumOptions,
  ProbeElection,
  StoreCall,
} from './types.js'
