import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Benchmarks write their figures into one section of a Markdown report (docs/benchmarks.md),
 * between `<!-- BEGIN <name> -->` and `<!-- END <name> -->`, leaving the other sections alone.
 */
export function writeReportSection(file: string, name: string, markdown: string): void {
  const begin = `<!-- BEGIN ${name} -->`;
  const end = `<!-- END ${name} -->`;
  const block = `${begin}\n${markdown.trimEnd()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start !== -1 && stop > start
      ? current.slice(0, start) + block + current.slice(stop + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}
