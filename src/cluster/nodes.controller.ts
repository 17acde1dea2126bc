import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiSchema, ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { parseUid } from '../common/uid.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { ClusterControl } from './cluster-control.js';
import { NodeNotFoundError } from './cluster.errors.js';
import { NODE_STATUSES, type ClusterNode, type NodeRole, type NodeStatus } from './node.js';

const NODE_ROLES: readonly NodeRole[] = ['master', 'slave'];

/** The node object on the wire (a class for the OpenAPI document; answers are plain objects of this shape). */
@ApiSchema({ name: 'Node' })
class NodeDto {
  @ApiProperty()
  readonly uid!: number;
  @ApiProperty({ example: '10.0.0.1' })
  readonly addr!: string;
  @ApiProperty({ enum: NODE_STATUSES })
  readonly status!: NodeStatus;
  /** The rest is what a live adapter observed (absent for the simulated topology). */
  @ApiPropertyOptional({ enum: NODE_ROLES })
  readonly role?: NodeRole;
  @ApiPropertyOptional()
  readonly master_addr?: string;
  @ApiPropertyOptional()
  readonly repl_offset?: number;
  @ApiPropertyOptional({ description: 'bytes of the replication stream this replica has not received yet' })
  readonly lag_bytes?: number;
  @ApiPropertyOptional({ format: 'date-time' })
  readonly last_seen?: string;
}

type NodesStatusDto = Record<string, { readonly role: NodeRole; readonly node_status: NodeStatus }>;

const toNodeDto = ({ uid, addr, status, role, replication }: ClusterNode): NodeDto =>
  replication
    ? {
        uid,
        addr,
        status,
        role,
        master_addr: replication.masterAddr,
        repl_offset: replication.offset,
        lag_bytes: replication.lagBytes,
        last_seen: replication.lastSeen,
      }
    : { uid, addr, status };

@ApiTags('nodes')
@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly cluster: ClusterControl) {}

  @Get()
  @RequirePermission(Permission.ViewAllNodesInfo)
  @ApiOkResponse({ type: [NodeDto] })
  async list(): Promise<NodeDto[]> {
    return (await this.cluster.listNodes()).map(toNodeDto);
  }

  @Get('status')
  @RequirePermission(Permission.ViewAllNodesInfo)
  async status(): Promise<NodesStatusDto> {
    const nodes = await this.cluster.listNodes();
    return Object.fromEntries(
      nodes.map((node) => [String(node.uid), { role: node.role, node_status: node.status }]),
    );
  }

  @Get(':uid')
  @RequirePermission(Permission.ViewNodeInfo)
  @ApiOkResponse({ type: NodeDto })
  @ApiErrors({ 404: '`node_not_found`: no node has this uid' })
  async get(@Param('uid') uid: string): Promise<NodeDto> {
    const parsed = parseUid(uid);
    const node = parsed === undefined ? undefined : await this.cluster.getNode(parsed);
    if (!node) throw new NodeNotFoundError(uid);
    return toNodeDto(node);
  }
}
