import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatListTags, formatListTasks, formatSyntaxCheck, shouldRunTags } from '../../src/cli/listing.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { testModules } from '../fixtures/playbooks/modules.js';

const run = promisify(execFile);
const FILE = 'test/fixtures/playbooks/listing.yaml';

/** ansible-playbook's stdout for the same options (the oracle); null when it is not installed outside CI. */
async function ansible(args: readonly string[]): Promise<string | null> {
  try {
    const { stdout } = await run('ansible-playbook', ['-i', 'localhost,', FILE, ...args], {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_INVENTORY_UNPARSED_WARNING: '0' },
    });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !process.env.CI) return null;
    throw err;
  }
}

describe('listing matches ansible-playbook', () => {
  const cases: ReadonlyArray<readonly [string, readonly string[], { tags?: string[]; skipTags?: string[] }]> = [
    ['--list-tasks', ['--list-tasks'], {}],
    ['--list-tags', ['--list-tags'], {}],
    ['--list-tasks --tags a,never', ['--list-tasks', '--tags', 'a,never'], { tags: ['a', 'never'] }],
    ['--list-tasks --skip-tags webtag,imp', ['--list-tasks', '--skip-tags', 'webtag,imp'], { skipTags: ['webtag', 'imp'] }],
    ['--list-tasks --tags tagged --skip-tags always', ['--list-tasks', '--tags', 'tagged', '--skip-tags', 'always'], { tags: ['tagged'], skipTags: ['always'] }],
    ['--list-tags --tags untagged', ['--list-tags', '--tags', 'untagged'], { tags: ['untagged'] }],
  ];
  for (const [title, args, filter] of cases) {
    it(title, async () => {
      const playbook = await loadPlaybook(FILE, { modules: testModules });
      const ours = args.includes('--list-tags') ? formatListTags(playbook, filter) : formatListTasks(playbook, filter);
      const theirs = await ansible(args);
      if (theirs === null) return;
      expect(ours).toBe(theirs);
    });
  }

  it('--syntax-check text', async () => {
    expect(formatSyntaxCheck(FILE)).toBe(`\nplaybook: ${FILE}\n`);
    const theirs = await ansible(['--syntax-check']);
    if (theirs !== null) expect(formatSyntaxCheck(FILE)).toBe(theirs);
  });
});

describe('shouldRunTags', () => {
  it('applies always/never/all/tagged/untagged', () => {
    const tags = (...t: string[]) => new Set(t);
    expect(shouldRunTags(tags())).toBe(true);
    expect(shouldRunTags(tags('never'))).toBe(false);
    expect(shouldRunTags(tags('never', 'x'), { tags: ['x'] })).toBe(true);
    expect(shouldRunTags(tags('always'), { tags: ['x'] })).toBe(true);
    expect(shouldRunTags(tags('always'), { skipTags: ['always'] })).toBe(false);
    expect(shouldRunTags(tags('always'), { skipTags: ['all'] })).toBe(true);
    expect(shouldRunTags(tags(), { tags: ['untagged'] })).toBe(true);
    expect(shouldRunTags(tags('a'), { tags: ['untagged'] })).toBe(false);
    expect(shouldRunTags(tags('a'), { tags: ['tagged'] })).toBe(true);
    expect(shouldRunTags(tags('a'), { skipTags: ['tagged'] })).toBe(false);
  });
});
