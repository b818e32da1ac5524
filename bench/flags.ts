// Command-line values the bench scripts share a strict reading of: a typo must fail, not silently
// flip an ablation.

export function booleanFlag(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new Error(`--${name} must be true or false, got ${value}`);
  return value === 'true';
}
