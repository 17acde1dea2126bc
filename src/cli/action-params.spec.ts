import { parseActionParams } from './action-params.js';
import { CliError, ExitCode } from './exit-codes.js';

describe('parseActionParams', () => {
  it('reads key=value as strings and key:=value as JSON', () => {
    expect(parseActionParams(['node_uid=2', 'force:=true', 'nodes:=[1,2]', 'note=a=b', 'empty='])).toEqual({
      node_uid: '2',
      force: true,
      nodes: [1, 2],
      note: 'a=b',
      empty: '',
    });
  });

  it.each([['node_uid'], ['=2'], [':=2'], ['x:=nope']])('refuses %s as a usage error', (word) => {
    expect(() => parseActionParams([word])).toThrow(expect.objectContaining({ exitCode: ExitCode.Usage }));
  });

  it('refuses a key given twice', () => {
    expect(() => parseActionParams(['a=1', 'a:=2'])).toThrow(CliError);
  });
});
