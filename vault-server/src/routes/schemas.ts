import Type from 'typebox';

/** Shared JSON schemas of the HTTP API. Objects are closed: unknown fields are rejected. */
export const ClientId = Type.String({
	pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
	description: 'Letters, digits, `_`, `.` and `-`; at most 64 characters',
});
export const ServiceName = Type.String({
	pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
	description: 'Lower-case letters, digits, `_` and `-`; at most 64 characters',
});
/** A date-time; handlers may answer with a Date, serialised as ISO 8601. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);
export const Metadata = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
	maxProperties: 64,
	description: 'Non-secret data kept with the connection',
});

export const ErrorResponse = Type.Object(
	{
		statusCode: Type.Integer(),
		code: Type.String(),
		message: Type.String(),
		reconnect_hint: Type.Optional(Type.String()),
		reconnect_url: Type.Optional(Type.String()),
	},
	{ $id: 'ErrorResponse' },
);

const errorRef = Type.Ref('ErrorResponse');

/** The error answers every authenticated route can give. */
export const errorResponses = (...statuses: number[]) =>
	Object.fromEntries([400, 401, 403, 429, 503, ...statuses].map((status) => [status, errorRef]));

export const ClientParams = Type.Object({ client_id: ClientId }, { additionalProperties: false });
export const ConnectionParams = Type.Object(
	{ client_id: ClientId, service: ServiceName },
	{ additionalProperties: false },
);
export const ServiceParams = Type.Object({ name: ServiceName }, { additionalProperties: false });
