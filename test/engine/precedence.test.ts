import { describe, expect, it } from 'vitest';
import { fakeModule, makeInventory, run } from './helpers.js';

/**
 * Each variable is defined at two adjacent precedence levels; the higher one must win. The expected
 * strings were checked against ansible-playbook 2.14 (see the oracle tests for the harness).
 */
describe('variable precedence', () => {
  fakeModule('fakefacts', () => ({ changed: false, facts: { e: 'facts', f: 'facts' } }));

  const role = {
    'roles/r1/defaults/main.yml': 'a: default\n',
    'roles/r1/vars/main.yml': 'h: rolevars\ni: rolevars\n',
    'roles/r1/vars/vars_k.yml': 'k: include_vars\nl: include_vars\n',
    'roles/r1/tasks/main.yml': `
- fakefacts: {}
- include_vars: vars_k.yml
- set_fact: {l: set_fact, m: set_fact}
- block:
    - debug: {msg: "{{ [a,b,c,d,e,f,g,h,i,j,k,l,m] | join(',') }}"}
      vars: {j: task, k: task}
  vars: {i: block, j: block}
- include_tasks: inc.yml
  vars: {n: include, o: include}
`,
    'roles/r1/tasks/inc.yml': `- debug: {msg: "{{ n }},{{ o }}"}\n`,
    'vf.yml': 'g: file\nh: file\n',
  };
  const inventory = makeInventory(
    { h1: { d: 'host', e: 'host' } },
    { parent: { children: ['child'], vars: { b: 'parent', c: 'parent' } }, child: { hosts: ['h1'], vars: { c: 'child', d: 'child' } } },
    { a: 'all', b: 'all' },
  );

  it('orders role defaults < groups < host < facts < play < vars_files < role vars < block < task < include_vars < set_fact < role params < include params < extra', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  vars: {f: play, g: play}
  vars_files: [vf.yml]
  roles:
    - {role: r1, m: param, n: param}
`,
      inventory,
      { extraVars: { o: 'extra' } },
      role,
    );
    expect(r.exitCode).toBe(0);
    expect(r.msgs('h1')).toEqual(['all,parent,child,host,facts,play,file,rolevars,block,task,include_vars,set_fact,param', 'include,extra']);
  });

  it('lets extra vars beat set_fact and register', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - set_fact: {x: fact}
    - command: echo hi
      register: y
    - debug: {msg: "{{ x }} {{ y }}"}
`,
      makeInventory({ h1: {} }),
      { extraVars: { x: 'extra', y: 'extra' } },
    );
    expect(r.msgs('h1')).toEqual(['extra extra']);
  });

  it('keeps set_fact across plays and shows host variables (not play vars) in hostvars', async () => {
    const r = await run(
      `
- hosts: all
  gather_facts: false
  vars: {pv: play}
  tasks:
    - set_fact: {sf: "{{ inventory_hostname }}-fact"}
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ sf }} {{ hostvars['h2'].sf }} {{ hostvars['h2'].hv }} {{ hostvars['h2'].pv | default('nopv') }}"}
`,
      makeInventory({ h1: {}, h2: { hv: 'h2var' } }),
    );
    expect(r.msgs('h1')).toEqual(['h1-fact h2-fact h2var nopv']);
  });

  it('templates hostvars lazily in the other host context', async () => {
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "{{ hostvars['h2'].greeting }}"}
`,
      makeInventory({ h1: { who: 'h1' }, h2: { who: 'h2', greeting: 'hello {{ who }} {{ inventory_hostname }}' } }),
    );
    expect(r.msgs('h1')).toEqual(['hello h2 h2']);
  });

  it('provides magic variables', async () => {
    const r = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ inventory_hostname_short }} {{ group_names }} {{ groups.web }} {{ ansible_play_hosts_all }} {{ ansible_play_batch }} {{ ansible_version.major }}.{{ ansible_version.minor }} {{ ansible_check_mode }} {{ ansible_run_tags }} {{ playbook_dir is string }}"
`,
      makeInventory({ 'a.example.com': {}, b: {} }, { web: { hosts: ['a.example.com', 'b'] } }),
    );
    expect(r.msgs('a.example.com')).toEqual(["a ['web'] ['a.example.com', 'b'] ['a.example.com', 'b'] ['a.example.com', 'b'] 2.14 False ['all'] True"]);
  });

  it('injects facts as ansible_* variables and under ansible_facts', async () => {
    fakeModule('fakesetup', () => ({ changed: false, facts: { ansible_distribution: 'Debian', ansible_local: { x: 1 } } }));
    const r = await run(
      `
- hosts: h1
  gather_facts: false
  tasks:
    - fakesetup: {}
    - debug: {msg: "{{ ansible_distribution }} {{ ansible_facts.distribution }} {{ ansible_facts.ansible_local.x }}"}
`,
      makeInventory({ h1: {} }),
    );
    expect(r.msgs('h1')).toEqual(['Debian Debian 1']);
  });
});
