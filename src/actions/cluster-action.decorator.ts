import { applyDecorators, Injectable, SetMetadata, type Type } from '@nestjs/common';

export interface ClusterActionOptions {
  /** The action type's name and its address: `/v1/cluster/actions/{name}`. snake_case. */
  readonly name: string;
  /** A class-validator DTO for the POST body; unknown fields are refused. Omit for an action without params. */
  readonly params?: Type<object>;
  /** A run still going after this long ends `failed` with `timeout` and its signal aborted. */
  readonly timeoutMs?: number;
  /**
   * The run's steps, in order (snake_case, unique): each run shows them as its timeline (`steps`), which the
   * handler moves by naming a step in `context.progress`. Omit for an action type without steps.
   */
  readonly steps?: readonly string[];
}

export const CLUSTER_ACTION_METADATA = Symbol('cluster-action');

/** Marks a `ClusterActionHandler` subclass as an action type. The class is an injectable provider. */
export function ClusterAction(options: ClusterActionOptions): ClassDecorator {
  return applyDecorators(SetMetadata(CLUSTER_ACTION_METADATA, options), Injectable());
}
