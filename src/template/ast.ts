/** The Jinja2 syntax tree the parser builds and the evaluator walks. */

export type Expr =
  | { readonly t: 'const'; readonly value: unknown }
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'list'; readonly items: readonly Expr[] }
  | { readonly t: 'tuple'; readonly items: readonly Expr[] }
  | { readonly t: 'dict'; readonly pairs: readonly (readonly [Expr, Expr])[] }
  | { readonly t: 'getattr'; readonly obj: Expr; readonly attr: string }
  | { readonly t: 'getitem'; readonly obj: Expr; readonly index: Expr }
  | { readonly t: 'slice'; readonly start?: Expr; readonly stop?: Expr; readonly step?: Expr }
  | { readonly t: 'call'; readonly fn: Expr; readonly args: Args }
  | { readonly t: 'filter'; readonly name: string; readonly value: Expr | null; readonly args: Args }
  | { readonly t: 'test'; readonly name: string; readonly value: Expr; readonly args: Args }
  | { readonly t: 'unary'; readonly op: 'not' | '-' | '+'; readonly value: Expr }
  | { readonly t: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly t: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly t: 'compare'; readonly first: Expr; readonly ops: readonly (readonly [CompareOp, Expr])[] }
  | { readonly t: 'condexpr'; readonly cond: Expr; readonly then: Expr; readonly else_?: Expr };

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq' | 'in' | 'notin';

export interface Args {
  readonly positional: readonly Expr[];
  readonly keywords: readonly (readonly [string, Expr])[];
  readonly star?: Expr;
  readonly starstar?: Expr;
}

export type Target =
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'tuple'; readonly items: readonly Target[] }
  | { readonly t: 'nsattr'; readonly name: string; readonly attr: string };

export interface MacroParam {
  readonly name: string;
  readonly default?: Expr;
}

export type Stmt =
  | { readonly t: 'data'; readonly text: string }
  | { readonly t: 'output'; readonly expr: Expr }
  | { readonly t: 'if'; readonly tests: readonly (readonly [Expr, readonly Stmt[]])[]; readonly else_: readonly Stmt[] }
  | {
      readonly t: 'for';
      readonly target: Target;
      readonly iter: Expr;
      readonly filter?: Expr;
      readonly body: readonly Stmt[];
      readonly else_: readonly Stmt[];
      readonly recursive: boolean;
    }
  | { readonly t: 'set'; readonly target: Target; readonly value: Expr }
  | { readonly t: 'setblock'; readonly target: Target; readonly body: readonly Stmt[]; readonly filter?: Expr }
  | { readonly t: 'macro'; readonly name: string; readonly params: readonly MacroParam[]; readonly body: readonly Stmt[] }
  | { readonly t: 'filterblock'; readonly filter: Expr; readonly body: readonly Stmt[] }
  | { readonly t: 'with'; readonly targets: readonly (readonly [Target, Expr])[]; readonly body: readonly Stmt[] }
  | { readonly t: 'do'; readonly expr: Expr };
