// Jest runs in native ESM mode (NestJS 12 is ESM-only); SWC strips types and keeps decorator metadata for DI.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
    },
    module: { type: 'es6' },
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Sources import './x.js' (nodenext); Jest resolves the .ts file.
  // The package's entry points (`import ... from 'cluster-actions'`) from the sources.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^cluster-actions$': '<rootDir>/src/index.ts',
    '^cluster-actions/testing$': '<rootDir>/src/testing/index.ts',
  },
  testEnvironment: 'node',
};

export default {
  // Two cores run several suites at once, each booting apps and hashing passwords: leave room under load.
  testTimeout: 20_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/examples', '<rootDir>/test/compat'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
    },
    {
      ...common,
      displayName: 'contract',
      roots: ['<rootDir>/test/contract'],
      testMatch: ['**/*.contract-spec.ts'],
    },
  ],
};
