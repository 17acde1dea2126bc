/**
 * A problem the operator must fix before the service can start (bad configuration, a database in use or
 * too new). main.ts prints its message alone, without a stack, and exits 1.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
