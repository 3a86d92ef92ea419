import { commandArgsSchema, runCommandModule } from './command.js';
import type { Module } from './types.js';

export const shellModule: Module = {
  name: 'shell',
  description: 'Runs a command line through a shell (/bin/sh by default) on the host, so pipes, redirections, variables and globs work.',
  args: commandArgsSchema(true),
  freeForm: { arg: 'cmd', required: false },
  checkMode: 'full',
  run: (args, ctx) => runCommandModule(args, ctx, true),
};
