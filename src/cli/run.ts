import { Command, Option } from 'commander';
import { collect, increaseVerbosity, type RunCliOptions } from './options.js';
import { hostKeyCheckingOption } from './connect.js';
import { addVaultOptions } from './vault.js';
import { runCommand } from './run-command.js';

export function addConnectionOptions(cmd: Command): Command {
  cmd
    .option('-i, --inventory <source>', 'inventory file, directory or host list (repeatable)', collect)
    .option('-l, --limit <pattern>', 'further limit selected hosts to a pattern')
    .option('-e, --extra-vars <vars>', 'extra variables: k=v, JSON/YAML, or @file (repeatable)', collect)
    .option('-f, --forks <n>', 'number of parallel hosts (default 5)')
    .option('-u, --user <name>', 'connect as this user')
    .option('-c, --connection <type>', 'connection type (ssh, local)')
    .option('-T, --timeout <seconds>', 'connection timeout in seconds (default 10)')
    .option('--private-key <file>', 'private key file for SSH')
    .option('-k, --ask-pass', 'ask for the connection password')
    .option('-b, --become', 'run operations with become (sudo)')
    .option('--become-user <user>', 'become this user (default root)')
    .option('--become-method <method>', 'privilege escalation method (sudo, su)')
    .option('-K, --ask-become-pass', 'ask for the privilege escalation password')
    .option('-C, --check', 'do not change anything; report what would change')
    .option('-D, --diff', 'show differences when changing files')
    .option('-v, --verbose', 'more output (-vvv for connection debugging)', increaseVerbosity)
    .option('--json', 'write NDJSON events on stdout')
    .option('--plain', 'plain line output even on a TTY')
    .option('--no-color', 'disable colors')
    .addOption(hostKeyCheckingOption);
  addVaultOptions(cmd);
  return cmd;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('Run one or more playbooks (like ansible-playbook)')
    .argument('<playbook...>', 'playbook files')
    .option('-t, --tags <tags>', 'only run plays and tasks tagged with these values', collect)
    .option('--skip-tags <tags>', 'only run plays and tasks not tagged with these values', collect)
    .option('--start-at-task <name>', 'start the playbook at the task matching this name')
    .option('--step', 'confirm each task before running it')
    .option('--force-handlers', 'run handlers even if a task fails')
    .option('--grace-period <seconds>', 'after Ctrl-C/SIGTERM, seconds running tasks get before they are cancelled (default 10, env TSBOOK_GRACE_PERIOD)')
    .option('--syntax-check', 'check the playbook syntax only')
    .option('--list-hosts', 'list the hosts each play would run on')
    .option('--list-tasks', 'list the tasks that would run')
    .option('--list-tags', 'list all available tags')
    .option('--profile', 'after the recap, show the 10 slowest tasks and the slowest host (also at -v)')
    .option('--json-file <file>', 'also write the NDJSON event stream (docs/events.md) to this file')
    .option('--report <file>', 'write a self-contained HTML report of the run (timeline, recap, results)');
  addConnectionOptions(cmd);
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.addHelpText(
    'after',
    `
Examples:
  tsbook run playbooks/bootstrap_k8s.yaml -i inventory/homelab.yaml
  tsbook run site.yml -i inventory/ --limit pis --check --diff
  tsbook run site.yml -i hosts.ini -e k8s_token_ttl=15m -e @vars.yaml -t kubeadm
  tsbook run site.yml -i hosts.ini --list-hosts`,
  );
  cmd.action(async (playbooks: string[], options: RunCliOptions) => {
    process.exitCode = await runCommand(playbooks, options);
  });
}
