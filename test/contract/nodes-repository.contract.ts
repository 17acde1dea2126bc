import type { ClusterNode } from '../../src/cluster/node.js';
import type { NodesRepository } from '../../src/cluster/nodes.repository.js';

const node = (uid: number, overrides: Partial<ClusterNode> = {}): ClusterNode => ({
  uid,
  addr: `node${uid}.cluster.local`,
  status: 'active',
  role: uid === 1 ? 'master' : 'slave',
  ...overrides,
});

/** What every NodesRepository backend must do; `open` gives a fresh, empty repository for each test. */
export function nodesRepositoryContract(
  backend: string,
  open: () => Promise<NodesRepository>,
  close: (repository: NodesRepository) => Promise<void> = () => Promise.resolve(),
): void {
  describe(`NodesRepository contract: ${backend}`, () => {
    let repository: NodesRepository;

    beforeEach(async () => {
      repository = await open();
    });

    afterEach(async () => {
      await close(repository);
    });

    it('seeds the nodes once, and lists them ordered by uid', async () => {
      const nodes = [node(3, { status: 'down' }), node(1), node(2, { status: 'provisioning' })];
      expect(await repository.seed(nodes)).toBe(true);
      expect(await repository.seed([node(9)])).toBe(false);
      expect(await repository.list()).toEqual([
        node(1),
        node(2, { status: 'provisioning' }),
        node(3, { status: 'down' }),
      ]);
    });

    it('gets one node by uid', async () => {
      await repository.seed([node(1), node(2)]);
      expect(await repository.get(2)).toEqual(node(2));
      expect(await repository.get(7)).toBeUndefined();
    });

    it('moves the master role in one write, leaving exactly one master', async () => {
      await repository.seed([node(1), node(2), node(3)]);
      expect(await repository.setMaster(3)).toBe(true);
      const roles = (await repository.list()).map((n) => [n.uid, n.role]);
      expect(roles).toEqual([
        [1, 'slave'],
        [2, 'slave'],
        [3, 'master'],
      ]);
    });

    it('hands the master role on and back, keeping one master, and accepts the current master', async () => {
      await repository.seed([node(1), node(2), node(3)]);
      const master = async (): Promise<number[]> =>
        (await repository.list()).filter((n) => n.role === 'master').map((n) => n.uid);
      for (const uid of [3, 1, 1, 2]) {
        expect(await repository.setMaster(uid)).toBe(true);
        expect(await master()).toEqual([uid]);
      }
    });

    it('refuses an unknown master and keeps the old one', async () => {
      await repository.seed([node(1), node(2)]);
      expect(await repository.setMaster(5)).toBe(false);
      expect((await repository.list()).filter((n) => n.role === 'master').map((n) => n.uid)).toEqual([1]);
    });

    it('keeps exactly one master under concurrent hand-overs', async () => {
      await repository.seed([node(1), node(2), node(3)]);
      await Promise.all([repository.setMaster(2), repository.setMaster(3), repository.setMaster(2)]);
      expect((await repository.list()).filter((n) => n.role === 'master')).toHaveLength(1);
    });
  });
}
