// A live progress board on stderr, one line per run. On a terminal the lines are redrawn in place;
// into a log file a run's line is written when it changes, at most every `logEveryMs`, so a
// background run's log stays readable.
export interface JobProgress {
  epoch?: number;
  epochs?: number;
  loss?: number;
  zStd?: number;
  pStd?: number;
  healthyStd?: number;
  knnTop1?: number | null;
  imagesPerSecond?: number;
  etaSeconds?: number | null;
  collapsed?: boolean;
}

const BAR = 20;

const fixed = (x: number | null | undefined, digits: number) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

function duration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function progressLine(name: string, status: string, p: JobProgress): string {
  const fraction = p.epoch !== undefined && p.epochs ? Math.min(1, p.epoch / p.epochs) : 0;
  const filled = Math.round(fraction * BAR);
  return [
    name.padEnd(13),
    `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`,
    status.padEnd(9),
    `ep ${fixed(p.epoch, 2)}/${p.epochs ?? '–'}`,
    `loss ${fixed(p.loss, 3)}`,
    `z/p std ${fixed(p.zStd, 4)}/${fixed(p.pStd, 4)} vs 1/√d ${fixed(p.healthyStd, 4)}${p.collapsed ? ' COLLAPSED' : ''}`,
    `kNN ${fixed(p.knnTop1, 3)}`,
    `${fixed(p.imagesPerSecond, 0)} img/s`,
    `ETA ${duration(p.etaSeconds)}`,
  ].join('  ');
}

export class ProgressBoard {
  private readonly lines = new Map<string, string>();
  private readonly logged = new Map<string, { line: string; at: number }>();
  private drawn = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly logEveryMs = 30_000) {}

  update(name: string, line: string): void {
    this.lines.set(name, line);
    if (this.tty) return this.redraw();
    const last = this.logged.get(name);
    if (last?.line === line || (last && Date.now() - last.at < this.logEveryMs)) return;
    this.logged.set(name, { line, at: Date.now() });
    process.stderr.write(`${line}\n`);
  }

  /** Always written: a run's last line (terminal state). */
  finish(name: string, line: string): void {
    this.lines.set(name, line);
    if (this.tty) return this.redraw();
    this.logged.set(name, { line, at: Date.now() });
    process.stderr.write(`${line}\n`);
  }

  /** A message above the board. */
  note(message: string): void {
    if (this.tty && this.drawn) process.stderr.write(`\x1b[${this.drawn}A\x1b[0J`);
    process.stderr.write(`${message}\n`);
    this.drawn = 0;
    if (this.tty) this.redraw();
  }

  private redraw(): void {
    if (this.drawn) process.stderr.write(`\x1b[${this.drawn}A`);
    for (const line of this.lines.values()) process.stderr.write(`\x1b[2K${line.slice(0, process.stderr.columns || 200)}\n`);
    this.drawn = this.lines.size;
  }
}
