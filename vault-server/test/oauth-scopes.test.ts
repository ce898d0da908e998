import { describe, expect, it } from 'vitest';
import { parseGrantedScope, parseScopeList } from '../src/oauth/scopes.js';

describe('scope lists (RFC 6749 §3.3)', () => {
	it('splits a stored list on whitespace only, and an empty or missing one into nothing', () => {
		expect(parseScopeList(' openid  email\tZohoCRM.modules.ALL,ZohoCRM.users.READ ')).toEqual([
			'openid',
			'email',
			'ZohoCRM.modules.ALL,ZohoCRM.users.READ',
		]);
		expect(parseScopeList('')).toEqual([]);
		expect(parseScopeList(null)).toEqual([]);
	});

	it('splits a granted scope on spaces or the commas some providers answer', () => {
		expect(parseGrantedScope('chat:write,channels:read  users:read')).toEqual([
			'chat:write',
			'channels:read',
			'users:read',
		]);
		expect(parseGrantedScope(' , ')).toEqual([]);
	});
});
