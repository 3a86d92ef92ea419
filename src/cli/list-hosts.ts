/** One play as `ansible-playbook --list-hosts` shows it. */
export interface ListHostsPlay {
  /** The play name (Ansible defaults it to the hosts joined with ','). */
  readonly name: string;
  /** The play's `hosts:` as written: a string or a list of strings. */
  readonly pattern: string | readonly string[];
  /** The selected hosts (selectHosts with --limit applied). */
  readonly hosts: readonly string[];
  /** The play's tags. */
  readonly tags?: readonly string[];
}

/** Python's repr() of a str. */
function reprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/**
 * The text of `ansible-playbook --list-hosts` for one playbook, ending with a newline:
 *
 *     \nplaybook: site.yml\n\n  play #1 (web): Deploy\tTAGS: []\n    pattern: ['web']\n    hosts (2):\n      web1\n      web2\n
 *
 * Ansible prints hosts (and tags) from a Python set, so its order varies between runs; here hosts
 * keep the selection order and tags their first-seen order.
 */
export function formatListHosts(playbook: string, plays: readonly ListHostsPlay[]): string {
  let out = `\nplaybook: ${playbook}\n`;
  plays.forEach((play, idx) => {
    const patterns = typeof play.pattern === 'string' ? [play.pattern] : [...play.pattern];
    const hosts = [...new Set(play.hosts)];
    const tags = [...new Set(play.tags ?? [])];
    let msg = `\n  play #${idx + 1} (${patterns.join(',')}): ${play.name}\tTAGS: [${tags.join(',')}]`;
    msg += `\n    pattern: [${patterns.map(reprStr).join(', ')}]\n    hosts (${hosts.length}):`;
    for (const h of hosts) msg += `\n      ${h}`;
    out += `${msg}\n`;
  });
  return out;
}
