import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoadError, TsbookError, UsageError } from '../../src/model/errors.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { loadTaskFile } from '../../src/load/tasks.js';
import { loadVarsFile } from '../../src/load/vars-files.js';
import { parseExtraVars } from '../../src/load/extra-vars.js';
import { testModules } from '../fixtures/playbooks/modules.js';

const DIR = 'test/fixtures/bad';
const run = promisify(execFile);

/** [fixture, where (relative to test/fixtures/bad), message] */
const PLAYBOOK_CASES: ReadonlyArray<readonly [string, string, string]> = [
  ['action-and-local.yaml', 'action-and-local.yaml:4:7', "action and local_action are mutually exclusive"],
  ['args-not-map.yaml', 'args-not-map.yaml:5:9', "args must be a mapping, got a list"],
  ['async-unsupported.yaml', 'async-unsupported.yaml:4:7', "'async' is not supported by tsbook"],
  ['bad-become.yaml', 'bad-become.yaml:4:15', "the field 'become' of a Task must be a boolean, got 'perhaps'"],
  ['bad-enum.yaml', 'bad-enum.yaml:5:16', "value of state must be one of: absent, directory, file, hard, link, touch, got: folder (module file)"],
  ['bad-loop-control.yaml', 'bad-loop-control.yaml:6:9', "'loop_vr' is not a valid attribute for a LoopControl. Did you mean 'loop_var'?"],
  ['bad-meta.yaml', 'bad-meta.yaml:3:13', "invalid meta action requested: flush_handler. Did you mean 'flush_handlers'?"],
  ['bad-serial-list.yaml', 'bad-serial-list.yaml:5:7', "the field 'serial' must be a number of hosts, a percentage such as '30%', or a list of them, got -3"],
  ['bad-serial.yaml', 'bad-serial.yaml:2:11', "the field 'serial' must be a number of hosts, a percentage such as '30%', or a list of them, got 'lots'"],
  ['bad-tags.yaml', 'bad-tags.yaml:5:9', "the field 'tags' of a Task must be a string or a list of strings, got a mapping"],
  ['bad-when.yaml', 'bad-when.yaml:5:9', "the field 'when' of a Task must be a conditional expression or a list of them, got dict"],
  ['block-not-list.yaml', 'block-not-list.yaml:3:14', "the field 'block' must be a list of tasks, got 'debug'"],
  ['block-unknown-keyword.yaml', 'block-unknown-keyword.yaml:5:7', "'rescu' is not a valid attribute for a Block. Did you mean 'rescue'?"],
  ['conflicting-actions.yaml', 'conflicting-actions.yaml:6:7', "conflicting action statements: copy, file"],
  ['debug-unknown-arg.yaml', 'debug-unknown-arg.yaml:3:14', "Unsupported parameters for (debug) module: msgg. Did you mean 'msg'?"],
  ['duplicate-key.yaml', 'duplicate-key.yaml:5:7', "duplicate key: map keys must be unique"],
  ['duplicate-loop.yaml', 'duplicate-loop.yaml:5:7', "duplicate loop in task: items"],
  ['empty.yaml', 'empty.yaml:1:1', "Empty playbook, nothing to do: test/fixtures/bad/empty.yaml"],
  ['extra-params.yaml', 'extra-params.yaml:3:14', "this task 'debug' has extra params, which is only allowed in the following modules: command, import_tasks, include_tasks, meta, raw, script, shell"],
  ['handler-bad.yaml', 'handler-bad.yaml:5:7', "couldn't resolve module/action 'servce'. This often indicates a misspelling, missing collection, or incorrect module path."],
  ['import-cycle.yaml', 'tasks/cycle-b.yml:1:17', "include cycle: test/fixtures/bad/tasks/cycle-a.yml -> test/fixtures/bad/tasks/cycle-b.yml -> test/fixtures/bad/tasks/cycle-a.yml"],
  ['import-playbook-bad-key.yaml', 'import-playbook-bad-key.yaml:2:3', "'hosts' is not a valid attribute for a PlaybookInclude."],
  ['import-role-bad-option.yaml', 'import-role-bad-option.yaml:5:9', "Invalid options for import_role: task_from. Did you mean 'tasks_from'?"],
  ['import-task-error.yaml', 'tasks/broken.yml:5:12', "the field 'retries' of a Task must be an integer, got 'many'"],
  ['import-tasks-loop.yaml', 'import-tasks-loop.yaml:4:7', "You cannot use loops on 'import_tasks' statements. You should use 'include_tasks' instead."],
  ['include-role-no-name.yaml', 'include-role-no-name.yaml:3:7', "'name' is a required field for include_role."],
  ['include-tasks-no-file.yaml', 'include-tasks-no-file.yaml:4:7', "No file specified for include_tasks"],
  ['kv-malformed.yaml', 'kv-malformed.yaml:3:13', "malformed key=value arguments: failed at splitting arguments, either an unbalanced jinja2 block or quotes: src=\"a dest=b"],
  ['kv-unknown-arg.yaml', 'kv-unknown-arg.yaml:3:13', "Unsupported parameters for (copy) module: dset. Did you mean 'dest'?"],
  ['listen-on-task.yaml', 'listen-on-task.yaml:4:7', "'listen' is not a valid attribute for a Task."],
  ['loop-control-not-map.yaml', 'loop-control-not-map.yaml:5:21', "loop_control must be a mapping, got 'x'"],
  ['missing-import-playbook.yaml', 'missing-import-playbook.yaml:3:20', "Could not find or access 'nowhere.yaml' (looked for test/fixtures/bad/nowhere.yaml)"],
  ['missing-import-tasks.yaml', 'missing-import-tasks.yaml:4:21', "Could not find or access 'tasks/missing.yml' (searched: test/fixtures/bad/tasks/missing.yml)"],
  ['missing-required.yaml', 'missing-required.yaml:4:7', "missing required arguments: dest (module copy)"],
  ['missing-role.yaml', 'missing-role.yaml:4:13', "the role 'nosuchrole' was not found in test/fixtures/bad/roles:test/fixtures/bad"],
  ['no-action.yaml', 'no-action.yaml:3:7', "no module/action detected in task."],
  ['not-a-list.yaml', 'not-a-list.yaml:1:1', "A playbook must be a list of plays, got a mapping instead"],
  ['play-bad-order.yaml', 'play-bad-order.yaml:2:10', "'sortd' is not a valid value for the field 'order'. Did you mean 'sorted'?"],
  ['play-bad-strategy.yaml', 'play-bad-strategy.yaml:2:13', "Invalid play strategy specified: lineer. Did you mean 'linear'?"],
  ['play-bool.yaml', 'play-bool.yaml:2:17', "the field 'gather_facts' of a Play must be a boolean, got 'maybe'"],
  ['play-empty-hosts.yaml', 'play-empty-hosts.yaml:2:3', "Hosts list cannot be empty. Please check your playbook"],
  ['play-hosts-map.yaml', 'play-hosts-map.yaml:2:5', "Hosts list must be a sequence or string. Please check your playbook (got a mapping)"],
  ['play-no-hosts.yaml', 'play-no-hosts.yaml:1:3', "the field 'hosts' is required but was not set"],
  ['play-not-map.yaml', 'play-not-map.yaml:3:3', "playbook entries must be either valid plays or 'import_playbook' statements, got 'just a string'"],
  ['play-unknown-keyword.yaml', 'play-unknown-keyword.yaml:2:3', "'taks' is not a valid attribute for a Play. Did you mean 'tasks'?"],
  ['play-vars-list.yaml', 'play-vars-list.yaml:3:7', "the field 'vars' of a Play must be a mapping or a list of mappings"],
  ['playbook-cycle.yaml', 'playbook-cycle-b.yaml:3:20', "include cycle: test/fixtures/bad/playbook-cycle.yaml -> test/fixtures/bad/playbook-cycle-b.yaml -> test/fixtures/bad/playbook-cycle.yaml"],
  ['rescue-without-block.yaml', 'rescue-without-block.yaml:4:7', "'rescue' can only be used together with 'block'"],
  ['role-cycle.yaml', 'roles/loop_b/meta/main.yml:2:11', "role dependency cycle: loop_a -> loop_b -> loop_a"],
  ['role-task-error.yaml', 'roles/bad_role/tasks/main.yml:4:16', "argument 'verbosity' of (debug) module must be integer or string, got list"],
  ['task-not-map.yaml', 'task-not-map.yaml:4:7', "a task must be a mapping, got 'debug: msg=y'"],
  ['tasks-not-list.yaml', 'tasks-not-list.yaml:3:5', "the field 'tasks' must be a list of tasks, got a mapping"],
  ['unknown-arg.yaml', 'unknown-arg.yaml:6:9', "Unsupported parameters for (copy) module: dset. Did you mean 'dest'?"],
  ['unknown-keyword.yaml', 'unknown-keyword.yaml:5:7', "'regsiter' is not a valid attribute for a Task. Did you mean 'register'?"],
  ['unknown-module-nohint.yaml', 'unknown-module-nohint.yaml:3:7', "couldn't resolve module/action 'frobnicate'. This often indicates a misspelling, missing collection, or incorrect module path."],
  ['unknown-module.yaml', 'unknown-module.yaml:4:7', "couldn't resolve module/action 'copyy'. Did you mean 'copy'?"],
  ['unknown-with.yaml', 'unknown-with.yaml:4:7', "unknown loop lookup 'with_itmes'. Did you mean 'with_items'?"],
  ['vars-prompt-no-name.yaml', 'vars-prompt-no-name.yaml:3:7', "Invalid vars_prompt data structure, missing 'name' key"],
  ['wrong-type.yaml', 'wrong-type.yaml:7:11', "argument 'force' of (copy) module must be boolean, got list"],
  ['yaml-flow.yaml', 'yaml-flow.yaml:4:1', "YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }"],
  ['yaml-syntax.yaml', 'yaml-syntax.yaml:6:1', "YAML syntax error: Sequence item without - indicator"],
];

async function failure(load: () => Promise<unknown>): Promise<TsbookError> {
  try {
    await load();
  } catch (err) {
    if (err instanceof TsbookError) return err;
    throw err;
  }
  throw new Error('expected a load error');
}

function expectLocated(err: TsbookError, where: string, message: string): void {
  expect(err).toBeInstanceOf(LoadError);
  const text = err.describe();
  const [head, ...frame] = text.split('\n');
  expect(head).toBe(`${DIR}/${where}: ${message}`);
  // The code frame shows the offending line with a caret under the column.
  const line = Number(where.split(':')[1]);
  const col = Number(where.split(':')[2]);
  const marked = frame.find((l) => l.startsWith('>'));
  expect(marked).toMatch(new RegExp(`^> +${line} \\|`));
  const caret = frame[frame.indexOf(marked!) + 1]!;
  expect(caret.indexOf('^') - caret.indexOf('|') - 2).toBe(col - 1);
  expect(text).not.toContain('    at ');
}

describe('broken playbooks give one located error', () => {
  it('has at least 40 distinct cases', () => {
    expect(new Set(PLAYBOOK_CASES.map((c) => c[0])).size).toBeGreaterThanOrEqual(40);
  });
  for (const [fixture, where, message] of PLAYBOOK_CASES) {
    it(fixture, async () => {
      const err = await failure(() => loadPlaybook(`${DIR}/${fixture}`, { modules: testModules }));
      expectLocated(err, where, message);
    });
  }
});

describe('broken task, vars and inventory files', () => {
  it('a task file must be a list', async () => {
    const err = await failure(() => loadTaskFile(`${DIR}/tasks/mapping.yml`, { modules: testModules }));
    expectLocated(err, 'tasks/mapping.yml:1:1', `task file ${DIR}/tasks/mapping.yml must be a list of tasks, got a mapping`);
  });

  it('a task file loaded at run time reports errors inside it', async () => {
    const err = await failure(() => loadTaskFile(`${DIR}/tasks/broken.yml`, { modules: testModules }));
    expectLocated(err, 'tasks/broken.yml:5:12', "the field 'retries' of a Task must be an integer, got 'many'");
  });

  it('a missing task file is reported at the include that referenced it', async () => {
    const source = { file: `${DIR}/include-tasks-no-file.yaml`, line: 4, col: 7 };
    const err = await failure(() => loadTaskFile(`${DIR}/tasks/nope.yml`, { source, modules: testModules }));
    expectLocated(err, 'include-tasks-no-file.yaml:4:7', `could not read ${DIR}/tasks/nope.yml: file not found`);
  });

  it('a vars file must be a mapping', async () => {
    const err = await failure(() => loadVarsFile(`${DIR}/vars-not-mapping.yml`));
    expectLocated(err, 'vars-not-mapping.yml:1:1', `vars file ${DIR}/vars-not-mapping.yml must contain a mapping of variables, got a list`);
  });

  it('a vars file with a YAML error', async () => {
    const err = await failure(() => loadVarsFile(`${DIR}/vars-syntax.yml`));
    expect(err.describe().split('\n')[0]).toMatch(new RegExp(`^${DIR}/vars-syntax.yml:\\d+:\\d+: YAML syntax error: `));
  });

  it('a missing vars file is reported where it was referenced', async () => {
    const source = { file: `${DIR}/play-ok.yaml`, line: 1, col: 3 };
    const err = await failure(() => loadVarsFile(`${DIR}/missing-vars.yml`, source));
    expectLocated(err, 'play-ok.yaml:1:3', `could not read ${DIR}/missing-vars.yml: file not found`);
  });

  it('extra vars that are not key=value, a mapping or @file are a usage error', async () => {
    await expect(parseExtraVars(['a=1 "b'], '.')).rejects.toBeInstanceOf(UsageError);
    await expect(parseExtraVars(['[1, 2]'], '.')).rejects.toThrow('extra vars must be a mapping');
    await expect(parseExtraVars(['./vars.yml'], '.')).rejects.toThrow("Please prepend extra_vars filename './vars.yml' with '@'");
  });

  it('an inventory with a duplicate host key', async () => {
    const { loadInventory } = await import('../../src/load/inventory.js');
    const err = await failure(() => loadInventory([`${DIR}/inventory-duplicate.yaml`]));
    // The inventory loader reports absolute paths; the position comes from the shared YAML parser.
    expect(err.describe().split('\n')[0]).toBe(`${process.cwd()}/${DIR}/inventory-duplicate.yaml:3:10: duplicate key: map keys must be unique`);
    expect(err.describe()).not.toContain('    at ');
  });
});

describe('tsbook validate (built CLI)', () => {
  beforeAll(async () => {
    if (!existsSync('dist/cli/main.js')) await run('npx', ['tsc', '-p', 'tsconfig.json']).catch(() => undefined);
  }, 120_000);

  const cases: ReadonlyArray<readonly [string, string]> = [
    ['yaml-syntax.yaml', 'yaml-syntax.yaml:6:1: YAML syntax error: '],
    ['play-no-hosts.yaml', "play-no-hosts.yaml:1:3: the field 'hosts' is required but was not set"],
    ['bad-serial.yaml', "bad-serial.yaml:2:11: the field 'serial' must be"],
    ['playbook-cycle.yaml', 'playbook-cycle-b.yaml:3:20: include cycle: '],
  ];
  for (const [fixture, expected] of cases) {
    it(`exits 4 with a located error for ${fixture}`, async () => {
      const result = await run('node', ['bin/tsbook', 'validate', `${DIR}/${fixture}`]).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(result.code).toBe(4);
      expect(result.stderr).toContain(`ERROR! ${DIR}/${expected}`);
      expect(result.stderr).not.toContain('    at ');
    });
  }

  it('prints FILE: ok and exits 0 for a valid playbook', async () => {
    const { stdout } = await run('node', ['bin/tsbook', 'validate', 'test/fixtures/playbooks/no-tasks.yaml']);
    expect(stdout).toBe('test/fixtures/playbooks/no-tasks.yaml: ok\n');
  });
});
