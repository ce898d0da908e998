import type { FastifyInstance } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type JsonSchema = Record<string, any>;

/** One operation of the OpenAPI document, with what a request to it may carry. */
export interface RouteSpec {
	method: string;
	/** The path with `{name}` placeholders, as in the document. */
	template: string;
	pathParams: Record<string, JsonSchema>;
	query: Record<string, JsonSchema>;
	body?: JsonSchema;
	/** Validates a 2xx JSON answer against the route's schema for that status. */
	validates(status: number, body: unknown): boolean;
	/** The statuses the route declares. */
	statuses: number[];
	/** The error codes the route declares for a status (its JSON error body's `code` enum). */
	errorCodes(status: number): string[];
}

/** Inlines `#/components/schemas/...` references so each schema stands alone. */
function inline(schema: unknown, components: Record<string, JsonSchema>): any {
	if (Array.isArray(schema)) return schema.map((item) => inline(item, components));
	if (!schema || typeof schema !== 'object') return schema;
	const ref = (schema as JsonSchema).$ref;
	if (typeof ref === 'string') return inline(components[ref.split('/').at(-1)!], components);
	return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, components)]));
}

/**
 * Every route of the app, read from its own OpenAPI document (`/docs/json`), so a new route is
 * fuzzed without anyone listing it here.
 */
export async function routeCatalog(app: FastifyInstance): Promise<RouteSpec[]> {
	const doc = (await app.inject({ url: '/docs/json' })).json();
	const components = doc.components?.schemas ?? {};
	// OpenAPI 3.0 schemas: Ajv knows their `nullable`
	const ajv = new Ajv({ strict: false, allErrors: false });
	addFormats.default(ajv);
	const routes: RouteSpec[] = [];
	for (const [template, operations] of Object.entries<Record<string, any>>(doc.paths)) {
		for (const [method, operation] of Object.entries<any>(operations)) {
			const parameters: any[] = inline(operation.parameters ?? [], components);
			const byPlace = (place: string) =>
				Object.fromEntries(parameters.filter((p) => p.in === place).map((p) => [p.name, p.schema]));
			const responses = inline(operation.responses ?? {}, components);
			const validators = new Map<number, ValidateFunction | undefined>();
			const codes = new Map<number, string[]>();
			for (const [status, response] of Object.entries<any>(responses)) {
				const schema = response.content?.['application/json']?.schema;
				validators.set(Number(status), schema ? ajv.compile(schema) : undefined);
				codes.set(Number(status), schema?.properties?.code?.enum ?? []);
			}
			routes.push({
				method: method.toUpperCase(),
				template,
				pathParams: byPlace('path'),
				query: byPlace('query'),
				body: inline(operation.requestBody?.content?.['application/json']?.schema, components),
				statuses: [...validators.keys()],
				errorCodes: (status) => codes.get(status) ?? [],
				validates(status, body) {
					if (!validators.has(status)) return false;
					const validate = validators.get(status);
					return validate ? validate(body) : true;
				},
			});
		}
	}
	return routes;
}
