import type { NewUser } from '../../src/auth/user.js';
import type { UsersRepository } from '../../src/auth/users.repository.js';

const aUser = (email: string, overrides: Partial<NewUser> = {}): NewUser => ({
  email,
  name: 'Some One',
  role: 'cluster_viewer',
  status: 'active',
  passwordHash: 'scrypt$1$1$1$c2FsdA==$a2V5',
  passwordIssueDate: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

/** What every UsersRepository backend must do; `open` gives a fresh, empty repository for each test. */
export function usersRepositoryContract(
  backend: string,
  open: () => Promise<UsersRepository>,
  close: (repository: UsersRepository) => Promise<void> = () => Promise.resolve(),
): void {
  describe(`UsersRepository contract: ${backend}`, () => {
    let repository: UsersRepository;

    beforeEach(async () => {
      repository = await open();
    });

    afterEach(async () => {
      await close(repository);
    });

    it('inserts users with increasing integer uids and counts them', async () => {
      expect(await repository.count()).toBe(0);
      const first = await repository.insert(aUser('a@example.com', { role: 'admin' }));
      const second = await repository.insert(aUser('b@example.com'));
      expect(first).toEqual({ ...aUser('a@example.com', { role: 'admin' }), uid: expect.any(Number) });
      expect(second!.uid).toBeGreaterThan(first!.uid);
      expect(await repository.count()).toBe(2);
    });

    it('finds a user by uid and by email, ignoring the email case', async () => {
      const stored = await repository.insert(aUser('Mixed@Example.com'));
      expect(await repository.findByUid(stored!.uid)).toEqual(stored);
      expect(await repository.findByEmail('mixed@example.COM')).toEqual(stored);
      expect(await repository.findByEmail('other@example.com')).toBeUndefined();
      expect(await repository.findByUid(stored!.uid + 100)).toBeUndefined();
    });

    it('refuses a second user with the same email, in any case', async () => {
      await repository.insert(aUser('a@example.com'));
      expect(await repository.insert(aUser('A@EXAMPLE.com'))).toBeUndefined();
      expect(await repository.count()).toBe(1);
    });

    it('lets exactly one of concurrent inserts of one email win', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => repository.insert(aUser('x@example.com'))),
      );
      expect(results.filter((user) => user !== undefined)).toHaveLength(1);
    });

    it('lists users ordered by uid', async () => {
      const a = await repository.insert(aUser('a@example.com'));
      const b = await repository.insert(aUser('b@example.com'));
      expect(await repository.list()).toEqual([a, b]);
    });

    it('updates the given fields and keeps the others', async () => {
      const user = await repository.insert(aUser('a@example.com'));
      const patch = {
        name: 'New',
        role: 'db_member',
        passwordHash: 'h2',
        passwordIssueDate: '2026-02-02',
      } as const;
      const updated = await repository.update(user!.uid, patch);
      expect(updated).toEqual({ ...user, ...patch });
      expect(await repository.findByUid(user!.uid)).toEqual(updated);
    });

    it('answers not_found for a user that does not exist', async () => {
      expect(await repository.update(42, { name: 'x' })).toBe('not_found');
      expect(await repository.delete(42)).toBe('not_found');
    });

    it('writes on the role the caller checked, and refuses with role_changed once the user has another', async () => {
      await repository.insert(aUser('keep@example.com', { role: 'admin' }));
      const user = await repository.insert(aUser('a@example.com'));
      expect(await repository.update(user!.uid, { name: 'Renamed' }, 'cluster_viewer')).toMatchObject({
        name: 'Renamed',
      });
      // An admin promoted the user meanwhile: a write checked against the old role changes nothing.
      const promoted = await repository.update(user!.uid, { role: 'admin' });
      expect(await repository.update(user!.uid, { name: 'Again' }, 'cluster_viewer')).toBe('role_changed');
      expect(await repository.delete(user!.uid, 'cluster_viewer')).toBe('role_changed');
      expect(await repository.findByUid(user!.uid)).toEqual(promoted);
      expect(await repository.delete(user!.uid, 'admin')).toEqual(promoted);
    });

    it('deletes a user, returning it, and never reuses its uid', async () => {
      await repository.insert(aUser('keep@example.com', { role: 'admin' }));
      const user = await repository.insert(aUser('a@example.com'));
      expect(await repository.delete(user!.uid)).toEqual(user);
      expect(await repository.findByUid(user!.uid)).toBeUndefined();
      expect(await repository.findByEmail('a@example.com')).toBeUndefined();
      const next = await repository.insert(aUser('a@example.com'));
      expect(next!.uid).toBeGreaterThan(user!.uid);
    });

    it.each([
      ['deleting', (repo: UsersRepository, uid: number) => repo.delete(uid)],
      ['demoting', (repo: UsersRepository, uid: number) => repo.update(uid, { role: 'cluster_member' })],
      ['locking', (repo: UsersRepository, uid: number) => repo.update(uid, { status: 'locked' })],
    ])('refuses %s the last active admin', async (_case, write) => {
      const admin = await repository.insert(aUser('admin@example.com', { role: 'admin' }));
      await repository.insert(aUser('locked-admin@example.com', { role: 'admin', status: 'locked' }));
      expect(await write(repository, admin!.uid)).toBe('last_admin');
      expect(await repository.findByUid(admin!.uid)).toEqual(admin);
    });

    it('lets an admin go while another active admin remains', async () => {
      const first = await repository.insert(aUser('one@example.com', { role: 'admin' }));
      await repository.insert(aUser('two@example.com', { role: 'admin' }));
      expect(await repository.update(first!.uid, { role: 'db_viewer' })).toMatchObject({ role: 'db_viewer' });
    });

    it('keeps one active admin when two admins demote each other at once', async () => {
      const one = await repository.insert(aUser('one@example.com', { role: 'admin' }));
      const two = await repository.insert(aUser('two@example.com', { role: 'admin' }));
      const results = await Promise.all([
        repository.update(one!.uid, { role: 'none' }),
        repository.update(two!.uid, { status: 'locked' }),
      ]);
      expect(results.filter((result) => result === 'last_admin')).toHaveLength(1);
      const admins = (await repository.list()).filter((u) => u.role === 'admin' && u.status === 'active');
      expect(admins).toHaveLength(1);
    });
  });
}
