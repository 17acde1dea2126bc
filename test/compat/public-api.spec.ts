import { readFileSync, writeFileSync } from 'node:fs';
import { publicApi } from './public-api.js';

const RECORD = new URL('./public-api.json', import.meta.url);
const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface Recorded {
  readonly version: string;
  readonly api: ReturnType<typeof publicApi>;
}

/**
 * The compatibility promise: the public API (package.json `exports`) changes only with the package version.
 * `npm run api:record` records the current surface under the current version.
 */
describe('the public API', () => {
  const current = publicApi();

  if (process.env.RECORD_PUBLIC_API === '1') {
    it('is recorded', () => {
      writeFileSync(RECORD, `${JSON.stringify({ version: packageVersion, api: current }, null, 2)}\n`);
    });
    return;
  }

  it('is the surface recorded for this version: change it with a new version, then `npm run api:record`', () => {
    const recorded = JSON.parse(readFileSync(RECORD, 'utf8')) as Recorded;
    expect({ version: packageVersion, api: current }).toEqual(recorded);
  });
});
