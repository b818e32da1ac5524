// The heaviest frames of a V8 CPU profile (`node --cpu-prof`): self time per function and per
// package (node_modules/<name>, the project's own files, node: internals, (garbage collector)...),
// as shares of all samples. Prints one JSON line.
//
//   node --import tsx bench/cpu-profile-top.ts FILE.cpuprofile [--top 20]
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const own = /\/(src|workers|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
const file = positionals[0];
if (!file) throw new Error('usage: cpu-profile-top.ts FILE.cpuprofile [--top N]');
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
let total = 0;
for (const id of profile.samples) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(node_modules|src|workers|bench)\//, '$1/')}:${lineNumber + 1}` : '';
  const fn = `${functionName || '(anonymous)'} ${where}`.trim();
  selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + 1);
  const pkg = packageOf(url, functionName);
  selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + 1);
  total++;
}

const ranked = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, selfPercent: Math.round((n / total) * 1000) / 10 }));

console.log(JSON.stringify({ samples: total, functions: ranked(selfByFunction), packages: ranked(selfByPackage) }));
