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
  });
}
