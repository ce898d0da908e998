import type { FastifySchemaCompiler } from 'fastify';
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { displayNameProblem } from '../domain/display-name.js';
import { unstorableText } from './well-formed.js';
import { DISPLAY_NAME_KEYWORD } from './schemas.js';

type FormatCheck = (text: string) => boolean;

// the instants the vault stores and compares: PostgreSQL refuses year 0, and JavaScript and
// drivers read years 1-99 as 19xx/20xx, so a date before 1970 or after 9999 means a mistake
const EARLIEST = Date.parse('1970-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * RFC 3339 date-time as ajv-formats checks it, and also an instant the vault can hold: RFC 3339
 * §5.6 allows a leap second (`23:59:60`), which `new Date()` cannot represent (Invalid Date), and
 * years PostgreSQL refuses (0000) or drivers misread (0001-0099); 1970 to 9999 UTC only.
 */
function realInstant(rfc3339: FormatCheck): FormatCheck {
	return (text) => {
		if (!rfc3339(text)) return false;
		const instant = Date.parse(text);
		return Number.isFinite(instant) && instant >= EARLIEST && instant <= LATEST;
	};
}

function ajvFor(part: 'body' | 'other') {
	const ajv = new Ajv({
		// bodies are JSON and must have the right types; query strings and params are text
		coerceTypes: part === 'other',
		removeAdditional: false,
		useDefaults: true,
		allErrors: false,
		strict: false,
	});
	addFormats.default(ajv);
	// schemas.ts DisplayName: one shared rule, its reason as the message (`body/name must not ...`)
	const displayName: SchemaValidateFunction = (enabled: boolean, text: string) => {
		const problem = enabled ? displayNameProblem(text) : undefined;
		displayName.errors = problem
			? [{ keyword: DISPLAY_NAME_KEYWORD, params: {}, message: problem }]
			: undefined;
		return problem === undefined;
	};
	ajv.addKeyword({
		keyword: DISPLAY_NAME_KEYWORD,
		type: 'string',
		schemaType: 'boolean',
		errors: true,
		validate: displayName,
	});
	const dateTime = ajv.formats['date-time'] as FormatCheck | { validate: FormatCheck };
	ajv.addFormat(
		'date-time',
		realInstant(typeof dateTime === 'function' ? dateTime : dateTime.validate),
	);
	return ajv;
}

/**
 * The app's schema compiler: Ajv (bodies strict, query strings and params coerced), and before
 * it, for every route and every part, a refusal of text the database cannot store and of JSON
 * nested too deep (well-formed.ts), reported as Ajv reports a schema error: a 400
 * VALIDATION_FAILED naming the field.
 */
export function requestValidatorCompiler(): FastifySchemaCompiler<unknown> {
	const validators = { body: ajvFor('body'), other: ajvFor('other') };
	return ({ schema, httpPart }) => {
		const validate = (httpPart === 'body' ? validators.body : validators.other).compile(
			schema as object,
		);
		const checked = ((data: unknown, context?: unknown) => {
			const problem = httpPart === 'headers' ? undefined : unstorableText(data);
			if (problem) {
				checked.errors = [
					{
						instancePath: problem.path,
						schemaPath: '#/wellFormed',
						keyword: 'wellFormed',
						params: {},
						message: problem.message,
					},
				];
				return false;
			}
			const valid = (validate as (data: unknown, context?: unknown) => boolean)(data, context);
			checked.errors = validate.errors;
			return valid;
		}) as ValidateFunction & { errors?: ErrorObject[] | null };
		// Fastify passes the parent (so Ajv may coerce a root value) only when this is present
		Object.assign(checked, { schemaEnv: validate.schemaEnv });
		return checked;
	};
}
