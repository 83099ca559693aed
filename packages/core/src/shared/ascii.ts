/**
 * True when every character of `text` is ASCII. Text folding uses it for a fast path: ASCII is
 * its own NFKC, NFD and NFC form and holds no invisible character or combining mark, and most
 * prompts are ASCII.
 */
export function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) > 0x7f) return false;
  }
  return true;
}
