// The public API for modules that add action types.
export { ClusterAction, type ClusterActionOptions } from './cluster-action.decorator.js';
export { ClusterActionHandler, type ActionContext } from './cluster-action-handler.js';
export { DomainError, InvalidRequestError, type DomainErrorKind } from '../errors/domain-error.js';
export { PreconditionFailedError } from './actions.errors.js';
