import { Module } from '@nestjs/common';
import { SnapshotHandler } from './snapshot.handler.js';

export { SnapshotHandler, type NodeSnapshot } from './snapshot.handler.js';

/** The plugin: EXTENSION_MODULES imports this file and registers the module it exports by default. */
@Module({ providers: [SnapshotHandler] })
export default class SnapshotModule {}
