import { describe, expect, it } from 'vitest';
import { RecentUse } from '../src/domain/audit-writer.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;
const others = (count: number) => Array.from({ length: count }, (_, n) => `other-${n}`);

// the memory behind last_used_at's once-a-minute updates (domain/audit-writer.ts), below the writer
describe('what was marked used recently', () => {
	it('marks a key once within the minute, again after it', () => {
		const recent = new RecentUse();
		expect(recent.take(['a', 'b'], NOW)).toEqual(['a', 'b']);
		expect(recent.take(['a', 'c'], NOW + MINUTE - 1)).toEqual(['c']);
		expect(recent.take(['a', 'c'], NOW + MINUTE)).toEqual(['a']);
		recent.forget(['c']);
		expect(recent.take(['c'], NOW + MINUTE)).toEqual(['c']);
	});

	it('holds 100,000 keys; the take that would hold more forgets them all first', () => {
		const recent = new RecentUse();
		expect(recent.take(['a'], NOW)).toEqual(['a']);
		// exactly 100,000 keys held: none forgotten
		expect(recent.take(others(99_999), NOW + 1)).toHaveLength(99_999);
		expect(recent.take(['a'], NOW + 2)).toEqual([]);
		// one key more: all forgotten, that key marked, 'a' due again within its minute
		expect(recent.take(['one-more'], NOW + 3)).toEqual(['one-more']);
		expect(recent.take(['a'], NOW + 4)).toEqual(['a']);
		expect(recent.take(['one-more', 'other-0'], NOW + 5)).toEqual(['other-0']);
	});
});
