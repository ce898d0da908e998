import Type, { type TSchema } from 'typebox';

/** Shared JSON schemas of the HTTP API. Objects are closed: unknown fields are rejected. */
export const ClientId = Type.String({
	pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
	description: 'Letters, digits, `_`, `.` and `-`; at most 64 characters',
	examples: ['acme'],
});
export const ServiceName = Type.String({
	pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
	description: 'Lower-case letters, digits, `_` and `-`; at most 64 characters',
	examples: ['google'],
});
/** The schema keyword (an OpenAPI `x-` extension) checked by domain/display-name.ts. */
export const DISPLAY_NAME_KEYWORD = 'x-display-name';
/**
 * A name people read (domain/display-name.ts): 1 to `maxLength` characters, one line, no control,
 * format (bidi override, zero-width) or separator characters, not blank, no surrounding spaces.
 */
export const DisplayName = (maxLength: number, description?: string) =>
	Type.String({
		minLength: 1,
		maxLength,
		[DISPLAY_NAME_KEYWORD]: true,
		description:
			description ??
			'One line of visible text: no control, format (bidi, zero-width) or line-separator ' +
				'characters, not blank, no spaces at either end',
	});
/** A date-time; handlers may answer with a Date, serialised as ISO 8601. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);
export const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);
export const Metadata = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
	maxProperties: 64,
	description: 'Non-secret data kept with the connection',
});

export const ClientParams = Type.Object({ client_id: ClientId }, { additionalProperties: false });
export const ConnectionParams = Type.Object(
	{ client_id: ClientId, service: ServiceName },
	{ additionalProperties: false },
);
export const ServiceParams = Type.Object({ name: ServiceName }, { additionalProperties: false });

/**
 * A copy of `schema` with what the OpenAPI document shows of it: the description of the response
 * or body, and one example (never a real secret). The copy keeps TypeBox's kind.
 */
export function documented<T extends TSchema>(
	schema: T,
	description: string,
	example?: unknown,
): T {
	const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as T;
	return Object.assign(copy, {
		description,
		...(example === undefined ? {} : { examples: [example] }),
	});
}
