/**
 * Hostile values for the injection tests: each would create (or write to) its marker file if it
 * reached a shell unquoted, an option parser as an option, or a YAML/INI writer unescaped.
 */
export interface HostileValue {
  readonly label: string;
  readonly value: string;
  /** The file that appears if the value was interpreted. */
  readonly marker: string;
}

export function hostileValues(markerDir: string): HostileValue[] {
  const m = (i: number) => `${markerDir}/pwned-${i}`;
  const make: [string, (marker: string) => string][] = [
    ['semicolon', (p) => `x; touch ${p}`],
    ['command substitution', (p) => `$(touch ${p})`],
    ['backticks', (p) => `\`touch ${p}\``],
    ['newline', (p) => `x\ntouch ${p}`],
    ['carriage return + newline', (p) => `x\r\ntouch ${p}`],
    ['single quote breakout', (p) => `x' ; touch ${p} ; echo '`],
    ['double quote breakout', (p) => `x" ; touch ${p} ; echo "`],
    ['pipe', (p) => `x | touch ${p}`],
    ['and', (p) => `x && touch ${p}`],
    ['redirection', (p) => `x > ${p}`],
    ['IFS', (p) => `x;touch\${IFS}${p}`],
    ['escaped semicolon', (p) => `x\\; touch ${p}`],
    ['leading dash -rf', () => '-rf'],
    ['leading dash --help', () => '--help'],
    ['option with payload', (p) => `--kubeconfig=/dev/null; touch ${p}`],
    ['ssh option', (p) => `-oProxyCommand=touch ${p}`],
    ['glob', () => '*'],
    ['yaml breakout', (p) => `x\n  - touch ${p}\nevil: true`],
    ['nul byte', (p) => `x\0; touch ${p}`],
  ];
  return make.map(([label, fn], i) => ({ label, value: fn(m(i)), marker: m(i) }));
}
