/** @type {import('ts-jest').JestConfigWithTsJest} */
export default {
  clearMocks: true,
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  preset: 'ts-jest/presets/default-esm',
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/dist/', '/node_modules/'],
  // Transpile only (tsconfig's isolatedModules): `npm run typecheck` checks the types, once.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', useESM: true }]
  },
  // The end-to-end tests run the bundle of the current src/, built here once (and cached).
  globalSetup: '<rootDir>/script/test-bundle.mjs',
  // Most test time is spent waiting on the emulator and on `node index.js` children, not in the
  // workers: four keep two cores busy (jest's default is one worker on two cores). The slowest
  // files go first. A number, not a percentage: jest reads '150%' as 150 workers.
  maxWorkers: 4,
  // Tests a file runs with it.concurrent (each on an emulator of its own) at once.
  maxConcurrency: 4,
  reporters: ['default', '<rootDir>/script/slowest-files-reporter.mjs'],
  testTimeout: 60000
}
