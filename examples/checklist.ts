/**
 * Prints one ✓ or ✗ line per expectation and remembers the failures, so a
 * program can finish every step, summarise, and still exit non-zero.
 */
export class Checklist {
  #passed = 0;
  #failed = 0;

  heading(text: string): void {
    console.log(`\n${text}`);
  }

  section(text: string): void {
    console.log(`\n  ${text}`);
  }

  /** Evidence under an expectation: what was sent, what the server said. */
  note(text: string): void {
    console.log(`      ${text.replaceAll('\n', '\n      ')}`);
  }

  /** One expectation; further lines of `text` are indented under it. */
  check(ok: boolean, text: string): boolean {
    if (ok) this.#passed++;
    else this.#failed++;
    console.log(`    ${ok ? '✓' : '✗'} ${text.replaceAll('\n', '\n      ')}`);
    return ok;
  }

  get failed(): number {
    return this.#failed;
  }

  summary(): string {
    const total = this.#passed + this.#failed;
    return this.#failed === 0 ? `all ${total} expectations met` : `${this.#failed} of ${total} expectations NOT met`;
  }
}
