import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value that cannot leak by accident: JSON, string conversion and util.inspect all show
 * `[REDACTED]`. Only `reveal()` gives the value, so every use of it is a visible decision.
 */
export class Secret {
	readonly #value: string;

	constructor(value: string) {
		this.#value = value;
	}

	reveal(): string {
		return this.#value;
	}

	toString(): string {
		return REDACTED;
	}

	toJSON(): string {
		return REDACTED;
	}

	[inspect.custom](): string {
		return REDACTED;
	}
}
