/** Quotes one validated identifier part; the quote character is doubled inside it. */
export function quotePostgres(part: string): string {
  return `"${part.replaceAll('"', '""')}"`;
}
