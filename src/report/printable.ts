/** Image content is untrusted: an escape sequence in a file name must not drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
