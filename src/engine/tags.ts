/** ansible-core's Taggable.evaluate_tags, with `onlyTags` defaulting to ['all']. */
export function shouldRunTags(taskTags: readonly string[], onlyTags: readonly string[], skipTags: readonly string[]): boolean {
  const tags = new Set(taskTags.length > 0 ? taskTags.map(String) : ['untagged']);
  const untagged = tags.size === 1 && tags.has('untagged');
  const only = new Set(onlyTags.length > 0 ? onlyTags : ['all']);
  const skip = new Set(skipTags);
  const intersects = (a: Set<string>, b: Set<string>) => [...a].some((t) => b.has(t));
  let run = true;
  if (only.size > 0) {
    if (tags.has('always')) run = true;
    else if (only.has('all') && !tags.has('never')) run = true;
    else if (intersects(tags, only)) run = true;
    else if (only.has('tagged') && !untagged && !tags.has('never')) run = true;
    else run = false;
  }
  if (run && skip.size > 0) {
    if (skip.has('all')) {
      if (!tags.has('always') || skip.has('always')) run = false;
    } else if (intersects(tags, skip)) run = false;
    else if (skip.has('tagged') && !untagged) run = false;
  }
  return run;
}

