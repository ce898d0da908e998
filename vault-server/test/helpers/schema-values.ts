import fc from 'fast-check';
import {
	deepJson,
	hostileJson,
	hostileNumber,
	hostileText,
	leapSecond,
	unstorableText,
} from './hostile-values.js';
import type { JsonSchema } from './route-catalog.js';

/** A value for a schema: usually valid-looking, often not. */
export function valueFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
	if (!schema) return hostileJson;
	const options: fc.Arbitrary<unknown>[] = [];
	const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
	if (variants) options.push(...variants.map(valueFor));
	if (schema.enum) options.push(fc.constantFrom(...schema.enum));
	if (schema.nullable) options.push(fc.constant(null));
	switch (schema.type) {
		case 'string':
			if (schema.pattern) options.push(fc.stringMatching(new RegExp(schema.pattern)));
			else if (schema.format === 'date-time')
				options.push(
					fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
					leapSecond,
				);
			else if (schema.format === 'uuid') options.push(fc.uuid());
			else
				options.push(
					fc.string({ maxLength: (schema.maxLength ?? 40) + 2 }),
					hostileText,
					unstorableText,
				);
			break;
		case 'integer':
		case 'number':
			options.push(
				fc.integer({
					min: (schema.minimum ?? 0) - 2,
					max: Math.min(schema.maximum ?? 1e6, 1e9) + 2,
				}),
				hostileNumber,
			);
			break;
		case 'boolean':
			options.push(fc.boolean());
			break;
		case 'array':
			options.push(fc.array(valueFor(schema.items), { maxLength: 5 }));
			break;
		case 'object':
			if (schema.properties) options.push(objectFor(schema));
			// a record (metadata): odd keys and values, and nesting past the limit
			else
				options.push(
					fc.dictionary(unstorableText, hostileJson, { maxKeys: 2 }),
					fc.dictionary(fc.string({ maxLength: 8 }), unstorableText, { maxKeys: 2 }),
					deepJson.map((value) => ({ nested: value })),
				);
			break;
	}
	// a valid-looking value four times in five, so requests get past validation too
	return fc.oneof(
		{ weight: 1, arbitrary: hostileJson },
		{ weight: 4, arbitrary: fc.oneof(...options, hostileJson) },
	);
}

/** A value the schema accepts (mostly: patterns and formats are the schema's own). */
export function validValueFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
	if (!schema) return fc.constant({});
	const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
	if (variants) return fc.oneof(...variants.map(validValueFor));
	if (schema.enum) return fc.constantFrom(...schema.enum);
	const value = ((): fc.Arbitrary<unknown> => {
		switch (schema.type) {
			case 'string':
				if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
				if (schema.format === 'date-time')
					return fc.date({ noInvalidDate: true, min: new Date(0) }).map((d) => d.toISOString());
				if (schema.format === 'uuid') return fc.uuid();
				if (schema.format === 'email') return fc.emailAddress();
				return fc.string({
					minLength: schema.minLength ?? 0,
					maxLength: Math.min(schema.maxLength ?? 40, 40),
				});
			case 'integer':
				return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1e6 });
			case 'boolean':
				return fc.boolean();
			case 'array':
				return fc.array(validValueFor(schema.items), { maxLength: 3 });
			case 'object': {
				const properties = Object.entries<JsonSchema>(schema.properties ?? {});
				const fields = Object.fromEntries(
					properties.map(([key, sub]) => [key, validValueFor(sub)]),
				);
				return fc.record(fields, { requiredKeys: schema.required ?? [] });
			}
			default:
				return fc.constant(null);
		}
	})();
	return schema.nullable ? fc.option(value, { freq: 5 }) : value;
}

/** An object with some of the schema's properties, sometimes with a hostile extra key. */
export function objectFor(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
	const properties = Object.entries<JsonSchema>(schema.properties ?? {});
	const fields = Object.fromEntries(properties.map(([key, sub]) => [key, valueFor(sub)]));
	const required: string[] = schema.required ?? [];
	return fc
		.tuple(
			fc.record(fields, { requiredKeys: required.filter((key) => key in fields) }),
			fc.option(
				fc.tuple(fc.constantFrom('__proto__', 'constructor', 'admin', 'id', ''), hostileJson),
				{ freq: 6 },
			),
		)
		.map(([object, extra]) => (extra ? { ...object, [extra[0]]: extra[1] } : object));
}

/** A request body as it goes on the wire: JSON of a value, or raw text that is not quite JSON. */
export function rawBody(schema: JsonSchema | undefined): fc.Arbitrary<string | undefined> {
	return fc.oneof(
		{ weight: 4, arbitrary: validValueFor(schema).map((v) => JSON.stringify(v)) },
		{
			weight: 4,
			arbitrary: (schema ? objectFor(schema) : hostileJson).map((v) => JSON.stringify(v)),
		},
		{ weight: 2, arbitrary: hostileJson.map((v) => JSON.stringify(v)) },
		{
			weight: 2,
			arbitrary: fc.constantFrom(
				undefined,
				'',
				'{',
				'null',
				'"x"',
				'{"__proto__":{"scope":"admin"},"id":"p","name":"p"}',
				'{"constructor":{"prototype":{"admin":true}}}',
				'{"id":"a\u0000b","name":"n"}',
				'{"a":1,"a":2}',
				'['.repeat(20_000) + ']'.repeat(20_000),
				'{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
				`{"name":"${'x'.repeat(70_000)}"}`,
				'\ufeff{}',
				'\xff\xfe',
			),
		},
	);
}

/**
 * A body the schema accepts but for one field made odd: NUL or an unpaired surrogate in a string,
 * a leap second in a date-time, a record (metadata) nested past the limit. Undefined when the
 * schema has no such field. The vault must refuse each with a 4xx, whatever the field.
 */
export function oddBodyFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> | undefined {
	const fields = Object.entries<JsonSchema>(schema?.properties ?? {}).flatMap(
		([key, sub]): [string, fc.Arbitrary<unknown>][] => {
			if (sub.type === 'string' && sub.format === 'date-time') return [[key, leapSecond]];
			if (sub.type === 'string' && !sub.pattern && !sub.enum) return [[key, unstorableText]];
			if (sub.type === 'object' && !sub.properties) {
				return [
					[
						key,
						fc.oneof(
							deepJson.map((value) => ({ nested: value })),
							fc.dictionary(unstorableText, fc.constant(1), { minKeys: 1, maxKeys: 1 }),
						),
					],
				];
			}
			return [];
		},
	);
	if (fields.length === 0) return undefined;
	return fc
		.tuple(validValueFor(schema), fc.constantFrom(...fields))
		.chain(([body, [key, odd]]) =>
			odd.map((value) => ({ ...(body as Record<string, unknown>), [key]: value })),
		);
}
