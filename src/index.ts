// The public API of the `cluster-actions` package: everything an extension or an embedding application may use.
// Anything not exported here is internal and may change in any version. test/compat/public-api.json records this
// surface; see README "Public API and compatibility".
export { ClusterAction, type ClusterActionOptions } from './actions/cluster-action.decorator.js';
export { ClusterActionHandler, type ActionContext } from './actions/cluster-action-handler.js';
export type { ActionStatus } from './actions/action-lifecycle.js';
export { DomainError, InvalidRequestError, type DomainErrorKind } from './errors/domain-error.js';
export { PreconditionFailedError } from './actions/actions.errors.js';
export { ClusterControl, type ChangeMasterContext, type NodePersisted } from './cluster/cluster-control.js';
export type { ClusterNode, NodeReplication, NodeRole, NodeStatus } from './cluster/node.js';
export { NodeNotActiveError, NodeNotFoundError } from './cluster/cluster.errors.js';
export { ClusterActionsModule, type ClusterActionsAsyncOptions } from './cluster-actions.module.js';
export {
  AppConfig,
  type ClusterNodesConfig,
  type DatabaseConfig,
  type HistoryRetention,
  type HttpSettings,
  type InitialNode,
  type LogLevel,
  type RedisNodeConfig,
  type RedisTimings,
  type TlsFiles,
  type TrustProxy,
} from './config/app-config.js';
export { configureApp } from './app.setup.js';
export { Permission } from './auth/permissions.js';
export { Public, RequirePermission } from './auth/require-permission.decorator.js';
