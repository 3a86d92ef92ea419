/** Where a model node was written. Lines and columns are 1-based. */
export interface Source {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function formatSource(source: Source): string {
  return `${source.file}:${source.line}:${source.col}`;
}
