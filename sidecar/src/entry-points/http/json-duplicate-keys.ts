/**
 * JSON.parse keeps the last of two equal keys ({"user_id":1,"user_id":2} reads as 2), while
 * another parser may keep the first. A signed body whose meaning depends on the parser is
 * ambiguous, so the sidecar refuses it. This finds the first key that an object repeats.
 */

/**
 * The first key repeated inside one object of `text` (keys compared after unescaping, so
 * "a" and "\u0061" are the same key), or null when there is none. `text` must already be
 * valid JSON (call it after JSON.parse succeeded). Iterative: nesting depth costs no stack.
 */
export function findDuplicateKey(text: string): string | null {
  // One frame per open object (its keys so far) or array (null).
  const frames: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) i++;
        else if (c === 0x22) break;
      }
      const keys = frames[frames.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    } else if (ch === 0x7b /* { */) {
      frames.push(new Set());
      expectKey = true;
    } else if (ch === 0x5b /* [ */) {
      frames.push(null);
      expectKey = false;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (ch === 0x2c /* , */) {
      expectKey = frames[frames.length - 1] != null;
    }
  }
  return null;
}
