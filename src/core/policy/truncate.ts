/**
 * Cut text to a character budget keeping its head and tail, with a marker that says how much was
 * cut and, when known, where the whole text was saved.
 */
export function truncateMiddle(text: string, maxChars: number, savedTo?: string, extraOmittedChars = 0): string {
  if (text.length <= maxChars && extraOmittedChars === 0) return text;
  const omitted = Math.max(0, text.length - maxChars) + extraOmittedChars;
  const where = savedTo ? `; the whole output is in ${savedTo} (read it with readSessionFile)` : '';
  const marker = `\n[... ${omitted.toLocaleString('en-US')} characters cut${where} ...]\n`;
  if (text.length <= maxChars) {
    // Everything we hold fits, but the producer already dropped a middle part.
    const half = Math.floor(text.length / 2);
    return text.slice(0, half) + marker + text.slice(half);
  }
  const budget = Math.max(0, maxChars);
  const head = Math.ceil(budget * 0.6);
  const tail = budget - head;
  return text.slice(0, head) + marker + (tail > 0 ? text.slice(text.length - tail) : '');
}

/** Bytes as a short human string: 1.5 KB, 12 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
