import { VaultError } from '../errors.js';

/**
 * The one error of every decryption failure, whatever the cause (wrong key, tampered bytes,
 * ciphertext moved to another row, unknown format or key version). The cause stays private:
 * telling them apart would help an attacker, and the operator gets the row from the log context.
 */
export class DecryptionFailed extends VaultError {
	constructor() {
		super('VAULT_DECRYPTION_FAILED', 'A stored secret could not be decrypted');
		this.name = 'DecryptionFailed';
	}
}
