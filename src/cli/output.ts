// What the CLI prints. Results go to stdout: JSON with --json, else a short human form. Notes and
// progress bars go to stderr, and bars only to a terminal, never with --json.
import cliProgress from 'cli-progress';

export interface Output {
  json: boolean;
  /** draw progress bars (stderr is a TTY and --json is off) */
  bars: boolean;
}

export function outputFor(json: boolean, stderr: NodeJS.WriteStream = process.stderr): Output {
  return { json, bars: !json && Boolean(stderr.isTTY) };
}

/** The command's result: `value` as JSON, or the human text. */
export function emit(out: Output, value: unknown, human: string | (() => string)): void {
  const text = out.json ? JSON.stringify(value, null, 2) : typeof human === 'string' ? human : human();
  if (text) process.stdout.write(`${text}\n`);
}

/** A side remark for a person (hints, status changes); silent with --json. */
export function note(out: Output, text: string): void {
  if (!out.json) process.stderr.write(`${text}\n`);
}

export type Bar = cliProgress.SingleBar;

/** A bar on stderr, or undefined where bars are not drawn: callers write `bar?.update(...)`. */
export function progressBar(out: Output, format: string): Bar | undefined {
  if (!out.bars) return undefined;
  return new cliProgress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, barsize: 24, etaBuffer: 20, fps: 8 },
    cliProgress.Presets.shades_classic,
  );
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A number for a column: fixed digits, or '-' when absent. */
export const fixed = (value: unknown, digits = 3) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-');

/** Left-aligned columns separated by two spaces; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
