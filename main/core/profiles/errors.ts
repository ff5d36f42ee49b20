/** A profile operation the user can correct; `code` is a contract ErrorCode (preload/contract.ts). */
export class ProfileError extends Error {
  override name = 'ProfileError';
  readonly code: 'invalid_input' | 'not_found' | 'conflict' | 'unavailable' | 'keychain';
  constructor(code: ProfileError['code'], message: string) {
    super(message);
    this.code = code;
  }
}
