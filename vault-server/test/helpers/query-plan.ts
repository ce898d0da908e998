import type { Database, Queryable } from '../../src/storage/database.js';

/** One statement as a store sends it: its SQL text and parameters. */
export interface Statement {
	text: string;
	params: readonly unknown[];
}

/** A node of PostgreSQL's `EXPLAIN (FORMAT JSON)` output, with the fields the tests read. */
export interface PlanNode {
	'Node Type': string;
	'Relation Name'?: string;
	'Index Name'?: string;
	Plans?: PlanNode[];
}

export interface TableScan {
	node: string;
	/** The index read, for index scans (a bitmap heap scan names the bitmap index scans under it). */
	index?: string;
}

/**
 * The statements `work` sends through the queryable it is given, captured instead of run: every
 * query answers no rows. So a test plans the SQL a store really issues, not a copy of it.
 */
export async function statementsOf(work: (q: Queryable) => Promise<unknown>): Promise<Statement[]> {
	const issued: Statement[] = [];
	await work({
		async query<Row>(text: string, params: readonly unknown[] = []) {
			issued.push({ text, params });
			return [] as Row[];
		},
		async script() {
			throw new Error('statementsOf captures parameterised queries only');
		},
	});
	return issued;
}

/**
 * PostgreSQL's plan for `statement`. `custom` is what the first executions of a prepared
 * statement get (planned for these parameter values); `generic` is the parameter-blind plan that
 * PostgreSQL may switch to after five executions, as postgres.js prepares every statement.
 */
export async function planOf(
	db: Database,
	statement: Statement,
	kind: 'custom' | 'generic' = 'custom',
): Promise<PlanNode> {
	const explain = (q: Queryable, text: string, params: readonly unknown[]) =>
		q.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
	const rows =
		kind === 'custom'
			? await explain(db, statement.text, statement.params)
			: await db.transaction(async (tx) => {
					await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
					await tx.query(`PREPARE planned AS ${statement.text}`);
					// EXECUTE takes no protocol parameters: its arguments are literals, quoted by the server
					const [prepared] = await tx.query<{ types: string[] }>(
						"SELECT parameter_types::text[] AS types FROM pg_prepared_statements WHERE name = 'planned'",
					);
					const literals: string[] = [];
					for (const [index, type] of prepared!.types.entries()) {
						const [quoted] = await tx.query<{ literal: string }>(
							`SELECT quote_nullable($1::${type}) AS literal`,
							[statement.params[index]],
						);
						literals.push(`${quoted!.literal}::${type}`);
					}
					const plan = await explain(tx, `EXECUTE planned(${literals.join(', ')})`, []);
					await tx.query('DEALLOCATE planned');
					return plan;
				});
	const output = rows[0]!['QUERY PLAN'];
	const [root] = (typeof output === 'string' ? JSON.parse(output) : output) as [{ Plan: PlanNode }];
	return root.Plan;
}

/** Every node of `plan` that reads `table`, outermost first. */
export function scansOn(plan: PlanNode, table: string): TableScan[] {
	const scans: TableScan[] = [];
	const bitmapIndexes = (node: PlanNode): string[] =>
		node['Node Type'] === 'Bitmap Index Scan'
			? [node['Index Name']!]
			: (node.Plans ?? []).flatMap(bitmapIndexes);
	const visit = (node: PlanNode) => {
		if (node['Relation Name'] === table) {
			if (node['Node Type'] === 'Bitmap Heap Scan') {
				for (const index of (node.Plans ?? []).flatMap(bitmapIndexes))
					scans.push({ node: 'Bitmap Index Scan', index });
			} else {
				scans.push({
					node: node['Node Type'],
					...(node['Index Name'] ? { index: node['Index Name'] } : {}),
				});
			}
		}
		for (const child of node.Plans ?? []) visit(child);
	};
	visit(plan);
	return scans;
}

/** The indexes through which `plan` reads `table`. */
export const indexScansOn = (plan: PlanNode, table: string): string[] =>
	scansOn(plan, table).flatMap((scan) => (scan.index ? [scan.index] : []));

/** The plan as an indented outline, one node a line: what a failed assertion shows. */
export function planOutline(plan: PlanNode, depth = 0): string {
	const on = plan['Relation Name'] ? ` on ${plan['Relation Name']}` : '';
	const using = plan['Index Name'] ? ` using ${plan['Index Name']}` : '';
	const children = (plan.Plans ?? []).map((child) => `\n${planOutline(child, depth + 1)}`);
	return `${'  '.repeat(depth)}${plan['Node Type']}${on}${using}${children.join('')}`;
}
