import { describe, expect, it } from 'vitest';
import type { Block, IncludeRole, IncludeTasks, Play, Task, TaskNode } from '../../src/model/playbook.js';
import { loadPlaybook, loadRole, loadTaskFile, loadVarsFile, parseExtraVars } from '../../src/load/playbook.js';
import { testModules } from '../fixtures/playbooks/modules.js';

const DIR = 'test/fixtures/playbooks';

async function site(): Promise<Play[]> {
  return (await loadPlaybook(`${DIR}/site.yaml`, { modules: testModules })).plays as Play[];
}

function asTask(node: TaskNode | undefined): Task {
  expect(node?.kind).toBe('task');
  return node as Task;
}

function asBlock(node: TaskNode | undefined): Block {
  expect(node?.kind).toBe('block');
  return node as Block;
}

describe('plays', () => {
  it('reads play keywords', async () => {
    const [play] = await site();
    expect(play!.source).toEqual({ file: `${DIR}/site.yaml`, line: 1, col: 3 });
    expect(play!.name).toBe('web servers');
    expect(play!.hosts).toBe('web,db');
    expect(play!.gather_facts).toBe(false);
    expect(play!.gather_subset).toEqual(['network']);
    expect(play!.become).toBe(true);
    expect(play!.serial).toEqual([1, '30%']);
    expect(play!.strategy).toBe('free');
    expect(play!.order).toBe('sorted');
    expect(play!.max_fail_percentage).toBe(25);
    expect(play!.force_handlers).toBe(true);
    expect(play!.any_errors_fatal).toBe(false);
    expect(play!.tags).toEqual(['play']);
    expect(play!.vars).toEqual({ port: 8080 });
    expect(play!.vars_files).toEqual(['vars/common.yml', ['vars/missing.yml', 'vars/fallback.yml']]);
    expect(play!.vars_prompt).toEqual([{ name: 'password', prompt: 'Password?', private: true }]);
    expect(play!.baseDir).toBe(DIR);
    expect(asTask(play!.pre_tasks[0]).name).toBe('pre');
    expect(asTask(play!.post_tasks[0]).args).toEqual({ msg: 'post' });
  });

  it('expands import_playbook with its tags and vars', async () => {
    const plays = await site();
    expect(plays).toHaveLength(2);
    const imported = plays[1]!;
    expect(imported.source).toEqual({ file: `${DIR}/other.yaml`, line: 1, col: 3 });
    expect(imported.tags).toEqual(['imported']);
    expect(imported.vars).toEqual({ from_import: true, mine: 1 });
    expect(imported.hosts).toBe('all');
  });
});

describe('tasks', () => {
  it('map form with FQCN, templated args, register, when list, comma tags, notify', async () => {
    const [play] = await site();
    const task = asTask(play!.tasks[0]);
    expect(task.source).toEqual({ file: `${DIR}/site.yaml`, line: 32, col: 7 });
    expect(task.action).toBe('copy');
    expect(task.args).toEqual({ src: 'a.txt', dest: '/tmp/a.txt', force: '{{ overwrite }}' });
    expect(task.register).toBe('copied');
    expect(task.when).toEqual(['copied is not defined', true]);
    expect(task.tags).toEqual(['one', 'two']);
    expect(task.notify).toEqual(['restart web']);
  });

  it('free form: command text in freeForm, command options extracted, args merged', async () => {
    const [play] = await site();
    const task = asTask(play!.tasks[1]);
    expect(task.action).toBe('command');
    expect(task.freeForm).toBe('echo hi');
    expect(task.args).toEqual({ chdir: '/tmp', creates: '/tmp/x', removes: '/tmp/y' });
  });

  it('k=v form with quotes, int tags, conditions', async () => {
    const [play] = await site();
    const task = asTask(play!.tasks[2]);
    expect(task.args).toEqual({ src: 'a', dest: '/tmp/b c', force: 'yes' });
    expect(task.freeForm).toBeUndefined();
    expect(task.changed_when).toEqual([false]);
    expect(task.failed_when).toEqual(['result.rc > 1']);
    expect(task.tags).toEqual(['7']);
  });

  it('action: string form with with_items and loop_control', async () => {
    const [play] = await site();
    const task = asTask(play!.tasks[3]);
    expect(task.action).toBe('shell');
    expect(task.freeForm).toBe('echo {{ item }}');
    expect(task.loopKind).toBe('with_items');
    expect(task.loop).toEqual([1, 2]);
    expect(task.loop_control).toEqual({ loop_var: 'thing', label: '{{ thing }}', pause: 2, extended: true });
  });

  it('local_action mapping form delegates to localhost', async () => {
    const [play] = await site();
    const task = asTask(play!.tasks[4]);
    expect(task.action).toBe('debug');
    expect(task.args).toEqual({ msg: 'local' });
    expect(task.delegate_to).toBe('localhost');
  });

  it('every task keyword', async () => {
    const [play] = await site();
    const task = asTask(play!.tasks[5]);
    expect(task).toMatchObject({
      name: 'retry',
      action: 'shell',
      freeForm: 'exit 0',
      until: ['result is success'],
      retries: 3,
      delay: '{{ wait }}',
      ignore_errors: true,
      delegate_to: 'db1',
      run_once: true,
      throttle: 2,
      environment: { A: 'b' },
      no_log: true,
      timeout: 10,
      check_mode: false,
      diff: true,
    });
  });

  it('blocks with rescue, always and keywords', async () => {
    const [play] = await site();
    const block = asBlock(play!.tasks[6]);
    expect(block.name).toBe('a block');
    expect(block.become_user).toBe('postgres');
    expect(block.when).toEqual(['x']);
    expect(asTask(block.block[0]).args).toEqual({ msg: 'in block' });
    expect(asTask(block.rescue[0]).source).toEqual({ file: `${DIR}/site.yaml`, line: 80, col: 11 });
    const meta = asTask(block.always[0]);
    expect(meta.action).toBe('meta');
    expect(meta.freeForm).toBe('flush_handlers');
  });

  it('import_tasks becomes a Block carrying the import keywords, with positions in the imported file', async () => {
    const [play] = await site();
    const block = asBlock(play!.tasks[7]);
    expect(block.name).toBe('static import');
    expect(block.tags).toEqual(['imp']);
    expect(block.vars).toEqual({ v: 1 });
    expect(block.block).toHaveLength(2);
    expect(asTask(block.block[1]).source).toEqual({ file: `${DIR}/tasks/imported.yml`, line: 3, col: 3 });
  });

  it('include_tasks stays dynamic', async () => {
    const [play] = await site();
    const node = play!.tasks[8] as IncludeTasks;
    expect(node.kind).toBe('include_tasks');
    expect(node.file).toBe('tasks/{{ kind }}.yml');
    expect(node.baseDir).toBe(DIR);
    expect(node.apply).toEqual({ tags: ['applied'] });
    expect(node.loop).toEqual(['a', 'b']);
    expect(node.loopKind).toBe('loop');
  });

  it('import_role is expanded with tasks_from; include_role stays dynamic', async () => {
    const [play] = await site();
    const block = asBlock(play!.tasks[9]);
    expect(block.role?.name).toBe('base');
    expect(block.role?.defaults).toEqual({ base_default: 1 });
    expect(asTask(block.block[0]).name).toBe('other base task');
    expect(asTask(block.block[0]).role?.name).toBe('base');
    const include = play!.tasks[10] as IncludeRole;
    expect(include).toMatchObject({ kind: 'include_role', roleName: '{{ role_name }}', tasks_from: 'main', public: true, baseDir: DIR });
  });

  it('handlers with listen, plus role handlers (run first, as Ansible does)', async () => {
    const [play] = await site();
    const names = play!.handlers.map((h) => (h as Task).name);
    expect(names).toEqual(['restart nginx', 'restart web']);
    expect((play!.handlers[0] as Task).role?.name).toBe('web');
    expect((play!.handlers[1] as Task).listen).toEqual(['web restarts']);
  });
});

describe('roles', () => {
  it('roles: entries become Blocks with RoleContext; dependencies first; params and keywords split', async () => {
    const [play] = await site();
    expect(play!.roles).toHaveLength(2);
    const [base, web] = play!.roles;
    expect(base!.role?.name).toBe('base');
    expect(base!.source).toEqual({ file: `${DIR}/site.yaml`, line: 26, col: 7 });
    expect(web!.role).toMatchObject({
      name: 'web',
      path: `${DIR}/roles/web`,
      defaults: { web_port: 80, web_user: 'www' },
      vars: { web_conf: '/etc/web.conf' },
      params: { web_port: 81 },
    });
    expect(web!.tags).toEqual(['webtag']);
    expect(web!.when).toEqual(['ansible_os_family == "Debian"']);
    // The dependency has different params from the plain `base` entry, so it is kept, before the role's tasks.
    const dep = asBlock(web!.block[0]);
    expect(dep.role?.name).toBe('base');
    // Role.get_role_params(dep_chain): a dependency also sees the params of the role that pulls it in.
    expect(dep.role?.params).toEqual({ web_port: 81, base_flag: true });
    expect(dep.source).toEqual({ file: `${DIR}/roles/web/meta/main.yml`, line: 2, col: 5 });
    const install = asTask(web!.block[1]);
    expect(install.name).toBe('install');
    expect(install.role?.name).toBe('web');
    expect(install.source).toEqual({ file: `${DIR}/roles/web/tasks/main.yml`, line: 1, col: 3 });
  });

  it('deduplicates identical role entries unless allow_duplicates', async () => {
    const { plays } = await loadPlaybook(`${DIR}/roles.yaml`, { modules: testModules });
    const names = plays[0]!.roles.map((b) => `${b.role?.name}${b.tags ? `:${b.tags.join(',')}` : ''}`);
    expect(names).toEqual(['base', 'base:different', 'dupe', 'dupe']);
  });

  it('loadRole loads a role at run time', async () => {
    const { block, handlers, role } = await loadRole('web', { baseDir: DIR, params: { x: 1 }, modules: testModules });
    expect(role.name).toBe('web');
    expect(role.params).toEqual({ x: 1 });
    expect(block.block).toHaveLength(2);
    expect(handlers.map((h) => (h as Task).name)).toEqual(['restart nginx']);
    const other = await loadRole('base', { baseDir: DIR, tasksFrom: 'other', modules: testModules });
    expect(asTask(other.block.block[0]).name).toBe('other base task');
  });

  it('finds roles in ANSIBLE_ROLES_PATH', async () => {
    const saved = process.env.ANSIBLE_ROLES_PATH;
    process.env.ANSIBLE_ROLES_PATH = `/nonexistent:${DIR}/roles`;
    try {
      const { role } = await loadRole('base', { baseDir: '/tmp', modules: testModules });
      expect(role.path).toBe(`${DIR}/roles/base`);
    } finally {
      if (saved === undefined) delete process.env.ANSIBLE_ROLES_PATH;
      else process.env.ANSIBLE_ROLES_PATH = saved;
    }
  });
});

describe('run-time loaders', () => {
  it('loadTaskFile returns located tasks with the role set', async () => {
    const { role } = await loadRole('base', { baseDir: DIR, modules: testModules });
    const tasks = await loadTaskFile(`${DIR}/tasks/imported.yml`, { role, modules: testModules });
    expect(tasks).toHaveLength(2);
    expect(asTask(tasks[0]).role?.name).toBe('base');
    expect(asTask(tasks[0]).source).toEqual({ file: `${DIR}/tasks/imported.yml`, line: 1, col: 3 });
  });

  it('loadVarsFile reads YAML and JSON mappings', async () => {
    expect(await loadVarsFile(`${DIR}/roles/web/defaults/main.yml`)).toEqual({ web_port: 80, web_user: 'www' });
    expect(await loadVarsFile('package.json')).toMatchObject({ name: 'tsbook' });
  });

  it('parseExtraVars: k=v, JSON, YAML, @file; later ones win', async () => {
    const vars = await parseExtraVars(['a=1 b="two words"', '{"c": [1, 2], "a": 3}', '{d: yes}', `@${DIR}/roles/web/vars/main.yml`, 'b=last'], process.cwd());
    expect(vars).toEqual({ a: 3, b: 'last', c: [1, 2], d: true, web_conf: '/etc/web.conf' });
  });
});
