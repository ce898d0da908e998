import { describe, expect, it } from 'vitest';
import { auditContent, hashAuditRow } from '../src/domain/audit-chain.js';
import type { AuditEntry } from '../src/storage/audit-store.js';

const entry: AuditEntry = {
	occurred_at: '2026-11-27T19:00:00.123Z',
	request_id: 'b1c2',
	actor_id: 'tok-1',
	actor_name: 'n8n "prod"',
	action: 'credential.fetch',
	client_id: 'acme',
	service: 'google',
	status_code: 200,
	error_code: null,
	ip: '127.0.0.1',
	user_agent: 'n8n/2.41 \u00e9\u2028',
	duration_ms: 1.25,
	workflow_id: null,
	execution_id: 'ex-7',
	details: { z: [1, { b: 2, a: 'x' }], a: null, m: 'é' },
};

// rows already in audit logs were hashed over this exact text: it may never change
describe('the audit chain format', () => {
	it('writes a row content as JSON with keys sorted at every depth', () => {
		expect(auditContent(entry)).toBe(
			'{"action":"credential.fetch","actor_id":"tok-1","actor_name":"n8n \\"prod\\"","client_id":"acme",' +
				'"details":{"a":null,"m":"é","z":[1,{"a":"x","b":2}]},"duration_ms":1.25,"error_code":null,' +
				'"execution_id":"ex-7","ip":"127.0.0.1","occurred_at":"2026-11-27T19:00:00.123Z","request_id":"b1c2",' +
				'"service":"google","status_code":200,"user_agent":"n8n/2.41 é\u2028","workflow_id":null}',
		);
	});

	it('hashes the previous hash, the id and the content as it always has', () => {
		expect(hashAuditRow('00'.repeat(32), { ...entry, id: 42 })).toBe(
			'f572862d83db70df5665bfabd2c53f826824fbc8d5448b9ccf735d6bdf8afabe',
		);
	});

	it('sorts the keys of details at every depth, whatever order they came in', () => {
		const keys = ['q', 'd', 'x', 'b', 'k', 'a', 'w', 'f', 'm', 'c', 'z', 'e'];
		const scrambled = Object.fromEntries(keys.map((key, index) => [key, index]));
		const content = auditContent({ ...entry, details: { outer: { ...scrambled }, ...scrambled } });
		const sorted = [...keys].sort();
		const inner = sorted.map((key) => `"${key}":${keys.indexOf(key)}`).join(',');
		expect(content).toContain(
			`"details":{"a":5,"b":3,"c":9,"d":1,"e":11,"f":7,"k":4,"m":8,"outer":{${inner}},"q":0,`,
		);
	});

	it('leaves out what has no JSON value, at the top and inside details, as jsonb would', () => {
		const withUndefined = {
			...entry,
			workflow_id: undefined,
			details: { z: [1, { b: 2, a: 'x', gone: undefined }], a: null, m: 'é', gone: undefined },
		} as unknown as AuditEntry;
		const expected = auditContent(entry).replace('"workflow_id":null', '').replace(/,}$/, '}');
		expect(auditContent(withUndefined)).toBe(expected);
		expect(auditContent({} as AuditEntry)).toBe('{}');
	});
});
