import type { FlatOption } from './spec.js';

/** One help line per option: flag, type, default with unit, env name. */
export function renderOptionHelp(flat: readonly FlatOption[]): string {
  const rows = flat.map((f) => {
    const o = f.option;
    const type = o.kind === 'bool' ? '' : ` <${o.unit ?? o.kind}>`;
    return [`  --${f.flag}${type}`, `${o.help} ${describeDefault(f)} [env ${f.envs.join(' or ')}]`];
  });
  const width = Math.min(44, Math.max(...rows.map(([a]) => (a as string).length)) + 2);
  return rows
    .map(([a, b]) => ((a as string).length >= width ? `${a}\n${' '.repeat(width)}${b}` : `${(a as string).padEnd(width)}${b}`))
    .join('\n');
}

export function describeDefault(f: FlatOption): string {
  const o = f.option;
  if (o.secret) return '(secret; no default)';
  if (o.default === undefined) return o.defaultHelp ? `(default: ${o.defaultHelp})` : '(default: unset)';
  const value = Array.isArray(o.default) ? o.default.join(',') : String(o.default);
  return `(default: ${value === '' ? '""' : value}${o.unit && !['port', 'path', 'url'].includes(o.unit) ? ` ${o.unit}` : ''})`;
}

/** The docs/config.md table for one process. */
export function renderConfigMarkdown(title: string, flat: readonly FlatOption[]): string {
  const lines = [`## ${title}`, '', '| key | flag | environment | type | default | meaning |', '|---|---|---|---|---|---|'];
  for (const f of flat) {
    const o = f.option;
    const def = o.secret
      ? '(secret)'
      : o.default === undefined
        ? (o.defaultHelp ?? 'unset')
        : `\`${Array.isArray(o.default) ? o.default.join(',') : String(o.default)}\``;
    lines.push(
      `| \`${f.path}\` | \`--${f.flag}\` | ${f.envs.map((e) => `\`${e}\``).join(', ')} | ${o.kind}${o.unit ? ` (${o.unit})` : ''} | ${def} | ${o.help.replace(/\|/g, '\\|')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
