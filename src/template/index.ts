/** Jinja2 templating with Ansible 2.14 semantics. */
export { Templar, OMIT_PLACEHOLDER, containsTemplate, UndefinedVariableError, evalConcat, exportValue } from './templar.js';
export type { TemplarOptions } from './templar.js';
export { registerFilter } from './filters.js';
export { registerTest } from './tests.js';
export { registerLookup, runLookup, lookupResult, findControllerFile } from './lookups.js';
export type { LookupFn, LookupContext } from './lookups.js';
export type { FilterFn, TestFn, CallContext } from './evaluate.js';
export { pyStr, pyRepr } from './pyvalues.js';
export { pyJsonDumps, pyYamlDump } from './serialize.js';
