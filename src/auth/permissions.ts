/** Redis Enterprise management roles. */
export const ROLES = [
  'none',
  'db_viewer',
  'db_member',
  'cluster_viewer',
  'cluster_member',
  'user_manager',
  'admin',
] as const;

export type Role = (typeof ROLES)[number];

export enum Permission {
  ViewStatusOfClusterAction = 'view_status_of_cluster_action',
  StartClusterAction = 'start_cluster_action',
  CancelClusterAction = 'cancel_cluster_action',
  ViewAllNodesInfo = 'view_all_nodes_info',
  ViewNodeInfo = 'view_node_info',
  ViewAllUsersInfo = 'view_all_users_info',
  ViewUserInfo = 'view_user_info',
  CreateNewUser = 'create_new_user',
  UpdateUser = 'update_user',
  DeleteUser = 'delete_user',
  ViewClusterStats = 'view_cluster_stats',
}

const VIEWERS: readonly Role[] = [
  'admin',
  'cluster_member',
  'cluster_viewer',
  'db_member',
  'db_viewer',
  'user_manager',
];
const USER_MANAGERS: readonly Role[] = ['admin', 'user_manager'];

/** Which roles hold each permission: the one place the role matrix is written down. */
export const PERMISSION_ROLES: { readonly [P in Permission]: readonly Role[] } = {
  [Permission.ViewStatusOfClusterAction]: VIEWERS,
  [Permission.StartClusterAction]: ['admin'],
  [Permission.CancelClusterAction]: ['admin'],
  [Permission.ViewAllNodesInfo]: VIEWERS,
  [Permission.ViewNodeInfo]: VIEWERS,
  [Permission.ViewAllUsersInfo]: USER_MANAGERS,
  [Permission.ViewUserInfo]: USER_MANAGERS,
  [Permission.CreateNewUser]: USER_MANAGERS,
  [Permission.UpdateUser]: USER_MANAGERS,
  [Permission.DeleteUser]: USER_MANAGERS,
  [Permission.ViewClusterStats]: ['admin', 'cluster_member', 'cluster_viewer', 'user_manager'],
};

/** role -> permissions, built once from the matrix so that a check is one set lookup. */
const ROLE_PERMISSIONS: ReadonlyMap<Role, ReadonlySet<Permission>> = new Map(
  ROLES.map((role) => [
    role,
    new Set(Object.values(Permission).filter((permission) => PERMISSION_ROLES[permission].includes(role))),
  ]),
);

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS.get(role)?.has(permission) ?? false;
}

/** Every permission `role` holds, in the matrix's order. */
export function permissionsOf(role: Role): Permission[] {
  return [...(ROLE_PERMISSIONS.get(role) ?? [])];
}

/**
 * How far up a role reaches when managing users: the matrix says who may manage users at all, this says which
 * ones. Roles without user permissions rank lowest; they manage nobody anyway.
 */
const MANAGEMENT_RANK: { readonly [R in Role]: number } = {
  none: 0,
  db_viewer: 0,
  db_member: 0,
  cluster_viewer: 0,
  cluster_member: 0,
  user_manager: 1,
  admin: 2,
};

/**
 * Whether a user with role `actor` may create, change, lock or delete a user who has role `target`, or grant
 * `target`: never above its own rank. So only an admin creates, changes, locks or deletes an admin or grants
 * `admin`, and a `user_manager` manages every other role, itself included, without becoming an admin.
 */
export function canManageRole(actor: Role, target: Role): boolean {
  return MANAGEMENT_RANK[target] <= MANAGEMENT_RANK[actor];
}
