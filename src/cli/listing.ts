import type { Play, Playbook, TaskNode } from '../model/playbook.js';

/** --tags / --skip-tags as given (already split on commas). */
export interface TagFilter {
  readonly tags?: readonly string[];
  readonly skipTags?: readonly string[];
}

/** What `ansible-playbook --syntax-check` prints on success (exact stdout text). */
export function formatSyntaxCheck(path: string): string {
  return `\nplaybook: ${path}\n`;
}

/**
 * Ansible's Taggable.evaluate_tags: whether a task with these (inherited) tags runs under
 * --tags/--skip-tags, with the `always`, `never`, `all`, `tagged` and `untagged` special tags.
 */
export function shouldRunTags(taskTags: ReadonlySet<string>, filter: TagFilter = {}): boolean {
  const only = filter.tags && filter.tags.length > 0 ? filter.tags : ['all'];
  const skip = filter.skipTags ?? [];
  const tags = taskTags.size > 0 ? taskTags : new Set(['untagged']);
  const untagged = taskTags.size === 0;
  const intersects = (list: readonly string[]): boolean => list.some((t) => tags.has(t));
  let run: boolean;
  if (tags.has('always')) run = true;
  else if (only.includes('all') && !tags.has('never')) run = true;
  else if (intersects(only)) run = true;
  else run = only.includes('tagged') && !untagged && !tags.has('never');
  if (run && skip.length > 0) {
    if (skip.includes('all')) {
      if (!tags.has('always') || skip.includes('always')) run = false;
    } else if (intersects(skip)) run = false;
    else if (skip.includes('tagged') && !untagged) run = false;
  }
  return run;
}

interface ListedTask {
  readonly name: string;
  readonly tags: ReadonlySet<string>;
}

function actionName(node: TaskNode): string {
  switch (node.kind) {
    case 'task':
      return node.actionWritten ?? node.action;
    case 'include_tasks':
      return 'include_tasks';
    case 'include_role':
      return 'include_role';
    case 'block':
      return 'block';
  }
}

/** Tasks in the order the play compiles them (only `block:` parts, as ansible-playbook lists them). */
function listedTasks(play: Play, filter: TagFilter): ListedTask[] {
  const out: ListedTask[] = [];
  const walk = (nodes: readonly TaskNode[], inherited: ReadonlySet<string>): void => {
    for (const node of nodes) {
      const tags = new Set([...inherited, ...(node.tags ?? [])]);
      if (node.kind === 'block') {
        walk(node.block, tags);
        continue;
      }
      if (!shouldRunTags(tags, filter)) continue;
      const name = node.name ? (node.role ? `${node.role.name} : ${node.name}` : node.name) : actionName(node);
      out.push({ name, tags });
    }
  };
  const playTags = new Set(play.tags ?? []);
  walk(play.pre_tasks, playTags);
  walk(play.roles, playTags);
  walk(play.tasks, playTags);
  walk(play.post_tasks, playTags);
  return out;
}

function sorted(tags: Iterable<string>): string {
  return [...new Set(tags)].sort().join(', ');
}

function playHeader(play: Play, index: number): string {
  return `\n  play #${index + 1} (${play.hosts}): ${play.name ?? play.hosts}\tTAGS: [${[...new Set(play.tags ?? [])].sort().join(',')}]\n`;
}

/** `ansible-playbook --list-tasks` output for one playbook (exact stdout text). */
export function formatListTasks(playbook: Playbook, filter: TagFilter = {}): string {
  let text = formatSyntaxCheck(playbook.file);
  playbook.plays.forEach((play, index) => {
    text += playHeader(play, index);
    let taskmsg = '    tasks:\n';
    for (const task of listedTasks(play, filter)) taskmsg += `      ${task.name}\tTAGS: [${sorted(task.tags)}]\n`;
    text += taskmsg;
  });
  return text;
}

/** `ansible-playbook --list-tags` output for one playbook (exact stdout text). */
export function formatListTags(playbook: Playbook, filter: TagFilter = {}): string {
  let text = formatSyntaxCheck(playbook.file);
  playbook.plays.forEach((play, index) => {
    text += playHeader(play, index);
    const all = new Set(play.tags ?? []);
    for (const task of listedTasks(play, filter)) for (const t of task.tags) all.add(t);
    text += `      TASK TAGS: [${sorted(all)}]\n`;
  });
  return text;
}
