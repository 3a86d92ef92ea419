/** A Jinja2 parser (same grammar and precedence as jinja2/parser.py) over the tokens of lexer.ts. */
import type { Args, CompareOp, Expr, MacroParam, Stmt, Target } from './ast.js';
import { TemplateSyntaxError, tokenize, type Token } from './lexer.js';
import { mkFloat } from './pyvalues.js';

const COMPARE_OPS: Record<string, CompareOp> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'lteq', '>': 'gt', '>=': 'gteq' };

class Parser {
  private i = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private get cur(): Token {
    return this.tokens[this.i] as Token;
  }

  private look(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.cur;
    if (t.type !== 'eof') this.i++;
    return t;
  }

  private isOp(v: string): boolean {
    return this.cur.type === 'op' && this.cur.value === v;
  }

  private isName(v?: string): boolean {
    return this.cur.type === 'name' && (v === undefined || this.cur.value === v);
  }

  private skipOp(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }

  private skipName(v: string): boolean {
    if (this.isName(v)) {
      this.i++;
      return true;
    }
    return false;
  }

  private fail(msg: string): never {
    throw new TemplateSyntaxError(msg);
  }

  private describe(t: Token): string {
    if (t.type === 'eof') return 'end of template';
    // Jinja2 prints token descriptions with repr(): 'end of print statement'
    if (t.type === 'block_end') return "'end of statement block'";
    if (t.type === 'var_end') return "'end of print statement'";
    return `'${t.value}'`;
  }

  private expectOp(v: string): void {
    if (!this.skipOp(v)) this.fail(`expected token '${v}', got ${this.describe(this.cur)}`);
  }

  private expectName(): string {
    if (this.cur.type !== 'name') this.fail(`expected token 'name', got ${this.describe(this.cur)}`);
    return this.next().value;
  }

  private expectBlockEnd(): void {
    if (this.cur.type !== 'block_end') this.fail(`expected token 'end of statement block', got ${this.describe(this.cur)}`);
    this.i++;
  }

  // ------------------------------------------------------------ statements

  parseTemplate(): Stmt[] {
    const body = this.subparse([]);
    if (this.cur.type !== 'eof') this.fail(`Encountered unknown tag '${this.look().value}'.`);
    return body;
  }

  /** Parses until a `{% name %}` in endTokens (left unconsumed, positioned at its name) or eof. */
  private subparse(endTokens: readonly string[]): Stmt[] {
    const body: Stmt[] = [];
    for (;;) {
      const t = this.cur;
      if (t.type === 'eof') {
        if (endTokens.length > 0) this.fail(`Unexpected end of template. Jinja was looking for the following tags: ${endTokens.map((e) => `'${e}'`).join(' or ')}.`);
        return body;
      }
      if (t.type === 'data') {
        body.push({ t: 'data', text: t.value });
        this.i++;
      } else if (t.type === 'var_begin') {
        this.i++;
        const expr = this.parseTuple(true);
        if (this.cur.type !== 'var_end') this.fail(`expected token 'end of print statement', got ${this.describe(this.cur)}`);
        this.i++;
        body.push({ t: 'output', expr });
      } else if (t.type === 'block_begin') {
        const name = this.look();
        if (name.type === 'name' && endTokens.includes(name.value)) {
          this.i++;
          return body;
        }
        this.i++;
        body.push(this.parseStatement());
      } else {
        this.fail(`unexpected ${this.describe(t)}`);
      }
    }
  }

  private parseStatement(): Stmt {
    const tag = this.expectName();
    switch (tag) {
      case 'if':
        return this.parseIf();
      case 'for':
        return this.parseFor();
      case 'set':
        return this.parseSet();
      case 'macro':
        return this.parseMacro();
      case 'filter': {
        const filter = this.parseFilterChain(null);
        this.expectBlockEnd();
        const body = this.subparse(['endfilter']);
        this.next();
        this.expectBlockEnd();
        return { t: 'filterblock', filter, body };
      }
      case 'with':
        return this.parseWith();
      case 'do': {
        const expr = this.parseTuple(true);
        this.expectBlockEnd();
        return { t: 'do', expr };
      }
      default:
        return this.fail(`Encountered unknown tag '${tag}'.`);
    }
  }

  private parseIf(): Stmt {
    const tests: [Expr, Stmt[]][] = [];
    let else_: Stmt[] = [];
    let cond = this.parseTuple(false);
    for (;;) {
      this.expectBlockEnd();
      const body = this.subparse(['elif', 'else', 'endif']);
      tests.push([cond, body]);
      const tag = this.next().value;
      if (tag === 'elif') {
        cond = this.parseTuple(false);
        continue;
      }
      if (tag === 'else') {
        this.expectBlockEnd();
        else_ = this.subparse(['endif']);
        this.next();
      }
      this.expectBlockEnd();
      return { t: 'if', tests, else_ };
    }
  }

  private parseFor(): Stmt {
    const target = this.parseAssignTarget(true);
    if (!this.skipName('in')) this.fail(`expected token 'in', got ${this.describe(this.cur)}`);
    const iter = this.parseTuple(false, true);
    let filter: Expr | undefined;
    if (this.skipName('if')) filter = this.parseExpression();
    const recursive = this.skipName('recursive');
    this.expectBlockEnd();
    const body = this.subparse(['endfor', 'else']);
    let else_: Stmt[] = [];
    if (this.next().value === 'else') {
      this.expectBlockEnd();
      else_ = this.subparse(['endfor']);
      this.next();
    }
    this.expectBlockEnd();
    return { t: 'for', target, iter, filter, body, else_, recursive };
  }

  private parseSet(): Stmt {
    const target = this.parseAssignTarget(true, true);
    if (this.skipOp('=')) {
      const value = this.parseTuple(false);
      this.expectBlockEnd();
      return { t: 'set', target, value };
    }
    const filter = this.isOp('|') ? this.parseFilterChain(null) : undefined;
    this.expectBlockEnd();
    const body = this.subparse(['endset']);
    this.next();
    this.expectBlockEnd();
    return { t: 'setblock', target, body, filter };
  }

  private parseMacro(): Stmt {
    const name = this.expectName();
    const params: MacroParam[] = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (params.length > 0) this.expectOp(',');
      if (this.isOp(')')) break;
      const pname = this.expectName();
      if (this.skipOp('=')) params.push({ name: pname, default: this.parseExpression() });
      else params.push({ name: pname });
    }
    this.expectOp(')');
    this.expectBlockEnd();
    const body = this.subparse(['endmacro']);
    this.next();
    this.expectBlockEnd();
    return { t: 'macro', name, params, body };
  }

  private parseWith(): Stmt {
    const targets: [Target, Expr][] = [];
    while (this.cur.type !== 'block_end') {
      if (targets.length > 0) this.expectOp(',');
      const target = this.parseAssignTarget(false);
      this.expectOp('=');
      targets.push([target, this.parseExpression()]);
    }
    this.expectBlockEnd();
    const body = this.subparse(['endwith']);
    this.next();
    this.expectBlockEnd();
    return { t: 'with', targets, body };
  }

  private parseAssignTarget(allowTuple: boolean, allowNs = false): Target {
    if (allowNs && this.cur.type === 'name' && this.look().type === 'op' && this.look().value === '.') {
      const name = this.next().value;
      this.next();
      return { t: 'nsattr', name, attr: this.expectName() };
    }
    const first: Target = { t: 'name', name: this.expectName() };
    if (!allowTuple || !this.isOp(',')) return first;
    const items: Target[] = [first];
    while (this.skipOp(',')) {
      if (!this.isName() || this.isName('in')) break;
      items.push({ t: 'name', name: this.expectName() });
    }
    return { t: 'tuple', items };
  }

  // ------------------------------------------------------------ expressions

  /** parse_tuple: an expression or an implicit tuple `a, b`. */
  private parseTuple(withCondExpr: boolean, noIf = false): Expr {
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length > 0) {
        if (!this.skipOp(',')) break;
        isTuple = true;
      }
      if (this.isTupleEnd(noIf)) break;
      items.push(withCondExpr ? this.parseExpression() : this.parseOr());
    }
    if (!isTuple) {
      if (items.length === 0) this.fail(`Expected an expression, got ${this.describe(this.cur)}`);
      return items[0] as Expr;
    }
    return { t: 'tuple', items };
  }

  private isTupleEnd(noIf: boolean): boolean {
    const t = this.cur;
    if (t.type === 'var_end' || t.type === 'block_end' || t.type === 'eof') return true;
    if (t.type === 'op' && (t.value === ')' || t.value === ']' || t.value === '}')) return true;
    return noIf && t.type === 'name' && (t.value === 'if' || t.value === 'recursive');
  }

  parseExpression(): Expr {
    let expr = this.parseOr();
    while (this.skipName('if')) {
      const cond = this.parseOr();
      const else_ = this.skipName('else') ? this.parseExpression() : undefined;
      expr = { t: 'condexpr', cond, then: expr, else_ };
    }
    return expr;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.skipName('or')) left = { t: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.skipName('and')) left = { t: 'and', left, right: this.parseNot() };
    return left;
  }

  private parseNot(): Expr {
    if (this.skipName('not')) return { t: 'unary', op: 'not', value: this.parseNot() };
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const first = this.parseMath1();
    const ops: [CompareOp, Expr][] = [];
    for (;;) {
      const t = this.cur;
      if (t.type === 'op' && COMPARE_OPS[t.value] !== undefined) {
        this.i++;
        ops.push([COMPARE_OPS[t.value] as CompareOp, this.parseMath1()]);
      } else if (this.skipName('in')) {
        ops.push(['in', this.parseMath1()]);
      } else if (this.isName('not') && this.look().type === 'name' && this.look().value === 'in') {
        this.i += 2;
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    return ops.length === 0 ? first : { t: 'compare', first, ops };
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().value as '+' | '-';
      left = { t: 'binary', op, left, right: this.parseConcat() };
    }
    return left;
  }

  private parseConcat(): Expr {
    let left = this.parseMath2();
    while (this.skipOp('~')) left = { t: 'binary', op: '~', left, right: this.parseMath2() };
    return left;
  }

  private parseMath2(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next().value as '*' | '/' | '//' | '%';
      left = { t: 'binary', op, left, right: this.parsePow() };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary(true);
    while (this.skipOp('**')) left = { t: 'binary', op: '**', left, right: this.parseUnary(true) };
    return left;
  }

  private parseUnary(withFilter: boolean): Expr {
    let node: Expr;
    if (this.skipOp('-')) node = { t: 'unary', op: '-', value: this.parseUnary(false) };
    else if (this.skipOp('+')) node = { t: 'unary', op: '+', value: this.parseUnary(false) };
    else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const t = this.cur;
    if (t.type === 'name') {
      this.i++;
      switch (t.value) {
        case 'true':
        case 'True':
          return { t: 'const', value: true };
        case 'false':
        case 'False':
          return { t: 'const', value: false };
        case 'none':
        case 'None':
          return { t: 'const', value: null };
        default:
          return { t: 'name', name: t.value };
      }
    }
    if (t.type === 'string') {
      this.i++;
      return { t: 'const', value: t.value };
    }
    if (t.type === 'int' || t.type === 'float') {
      this.i++;
      return { t: 'const', value: t.type === 'float' ? floatConst(t.num ?? 0) : t.num };
    }
    if (this.skipOp('(')) {
      if (this.skipOp(')')) return { t: 'tuple', items: [] };
      const first = this.parseExpression();
      if (this.skipOp(')')) return first;
      const items: Expr[] = [first];
      while (this.skipOp(',')) {
        if (this.isOp(')')) break;
        items.push(this.parseExpression());
      }
      this.expectOp(')');
      return { t: 'tuple', items };
    }
    if (this.skipOp('[')) {
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        if (items.length > 0) this.expectOp(',');
        if (this.isOp(']')) break;
        items.push(this.parseExpression());
      }
      this.expectOp(']');
      return { t: 'list', items };
    }
    if (this.skipOp('{')) {
      const pairs: [Expr, Expr][] = [];
      while (!this.isOp('}')) {
        if (pairs.length > 0) this.expectOp(',');
        if (this.isOp('}')) break;
        const key = this.parseExpression();
        this.expectOp(':');
        pairs.push([key, this.parseExpression()]);
      }
      this.expectOp('}');
      return { t: 'dict', pairs };
    }
    return this.fail(`unexpected ${this.describe(t)}`);
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const t = this.next();
        if (t.type === 'name') node = { t: 'getattr', obj: node, attr: t.value };
        else if (t.type === 'int') node = { t: 'getitem', obj: node, index: { t: 'const', value: t.num } };
        else this.fail(`expected name or number, got ${this.describe(t)}`);
      } else if (this.isOp('[')) {
        this.i++;
        const subs: Expr[] = [];
        while (!this.isOp(']')) {
          if (subs.length > 0) this.expectOp(',');
          if (this.isOp(']')) break;
          subs.push(this.parseSubscribed());
        }
        this.expectOp(']');
        const index: Expr = subs.length === 1 ? (subs[0] as Expr) : { t: 'tuple', items: subs };
        node = { t: 'getitem', obj: node, index };
      } else if (this.isOp('(')) {
        node = { t: 'call', fn: node, args: this.parseCallArgs() };
      } else return node;
    }
  }

  private parseSubscribed(): Expr {
    let start: Expr | undefined;
    if (!this.isOp(':')) {
      start = this.parseExpression();
      if (!this.isOp(':')) return start;
    }
    this.expectOp(':');
    let stop: Expr | undefined;
    let step: Expr | undefined;
    if (!this.isOp(']') && !this.isOp(',') && !this.isOp(':')) stop = this.parseExpression();
    if (this.skipOp(':')) {
      if (!this.isOp(']') && !this.isOp(',')) step = this.parseExpression();
    }
    return { t: 'slice', start, stop, step };
  }

  private parseCallArgs(): Args {
    this.expectOp('(');
    const positional: Expr[] = [];
    const keywords: [string, Expr][] = [];
    let star: Expr | undefined;
    let starstar: Expr | undefined;
    let first = true;
    while (!this.isOp(')')) {
      if (!first) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      first = false;
      if (this.skipOp('*')) star = this.parseExpression();
      else if (this.skipOp('**')) starstar = this.parseExpression();
      else if (this.cur.type === 'name' && this.look().type === 'op' && this.look().value === '=') {
        const key = this.next().value;
        this.i++;
        keywords.push([key, this.parseExpression()]);
      } else {
        if (keywords.length > 0) this.fail('Invalid argument syntax');
        positional.push(this.parseExpression());
      }
    }
    this.expectOp(')');
    return { positional, keywords, star, starstar };
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) node = this.parseFilterChain(node);
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = { t: 'call', fn: node, args: this.parseCallArgs() };
      else return node;
    }
  }

  /** `| name(args) | name2 ...`; `value` null for filter blocks. */
  private parseFilterChain(value: Expr | null): Expr {
    let node: Expr | null = value;
    let first = true;
    while (first || this.isOp('|')) {
      if (!(first && value === null)) this.expectOp('|');
      first = false;
      let name = this.expectName();
      while (this.skipOp('.')) name += `.${this.expectName()}`;
      const args: Args = this.isOp('(') ? this.parseCallArgs() : { positional: [], keywords: [] };
      node = { t: 'filter', name, value: node, args };
    }
    return node as Expr;
  }

  private parseTest(node: Expr): Expr {
    this.i++; // is
    const negated = this.skipName('not');
    let name = this.expectName();
    while (this.skipOp('.')) name += `.${this.expectName()}`;
    let args: Args = { positional: [], keywords: [] };
    const t = this.cur;
    if (this.isOp('(')) args = this.parseCallArgs();
    else if (
      (t.type === 'name' || t.type === 'string' || t.type === 'int' || t.type === 'float' || (t.type === 'op' && (t.value === '(' || t.value === '[' || t.value === '{'))) &&
      !(t.type === 'name' && (t.value === 'else' || t.value === 'or' || t.value === 'and'))
    ) {
      if (t.type === 'name' && t.value === 'is') this.fail('You cannot chain multiple tests with is');
      const arg = this.parsePostfix(this.parsePrimary());
      args = { positional: [arg], keywords: [] };
    }
    const test: Expr = { t: 'test', name, value: node, args };
    return negated ? { t: 'unary', op: 'not', value: test } : test;
  }
}

function floatConst(n: number): unknown {
  // Integral float literals (1.0) keep their float-ness; see PyFloat.
  return mkFloat(n);
}

export function parseTemplate(source: string, escapeBackslashes = true): Stmt[] {
  return new Parser(tokenize(source, { escapeBackslashes })).parseTemplate();
}

export function parseExpressionSource(source: string): Expr {
  const tokens = tokenize(`{{ ${source} }}`, { escapeBackslashes: false });
  const p = new Parser(tokens);
  const stmts = p.parseTemplate();
  const only = stmts[0];
  if (stmts.length !== 1 || only === undefined || only.t !== 'output') throw new TemplateSyntaxError(`invalid expression: ${source}`);
  return only.expr;
}
