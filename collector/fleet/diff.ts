// A line diff of two profile texts for `canhgac-collector config diff`: what a push would change, in
// the unified form people know from git (common prefix and suffix trimmed, LCS on the rest, bounded).
/** Beyond this many cells the middle is shown as removed-then-added rather than aligned line by line. */
const MAX_CELLS = 4_000_000;

type Op = [' ' | '-' | '+', string];

function middleOps(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map((l): Op => ['-', l]), ...b.map((l): Op => ['+', l])];
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) (ops.push([' ', a[i]]), i++, j++);
    else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) ops.push(['-', a[i++]]);
    else ops.push(['+', b[j++]]);
  }
  while (i < a.length) ops.push(['-', a[i++]]);
  while (j < b.length) ops.push(['+', b[j++]]);
  return ops;
}

/** `--- from` / `+++ to` and the changed lines with `context` lines around them; '' when equal. */
export function lineDiff(from: string, to: string, labels: { from: string; to: string }, context = 3): string {
  if (from === to) return '';
  const a = from.split('\n');
  const b = to.split('\n');
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let post = 0;
  while (post < a.length - pre && post < b.length - pre && a[a.length - 1 - post] === b[b.length - 1 - post]) post++;
  const ops: Op[] = [
    ...a.slice(0, pre).map((l): Op => [' ', l]),
    ...middleOps(a.slice(pre, a.length - post), b.slice(pre, b.length - post)),
    ...a.slice(a.length - post).map((l): Op => [' ', l]),
  ];
  const keep = ops.map((_, k) => ops.slice(Math.max(0, k - context), k + context + 1).some(([t]) => t !== ' '));
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  ops.forEach(([t, l], k) => {
    if (keep[k]) out.push(`${t}${l}`);
    else if (k === 0 || keep[k - 1]) out.push('…');
  });
  return out.join('\n') + '\n';
}
