/**
 * A Vault failure that does not know which secret asked: one read can serve several ids
 * (memoized per path), so the provider prefixes each caller's id when it rethrows.
 * The message holds paths, fields and HTTP statuses only, never a token, a value or
 * Vault's own `errors` strings.
 */
export class VaultFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultFailure";
  }
}
