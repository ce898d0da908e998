import fc from 'fast-check';

/** Text an attacker would try: traversal, encodings, look-alikes, NUL, SQL, huge. */
export const HOSTILE_TEXT = [
	'',
	' ',
	'..',
	'.',
	'acme.',
	'acme ',
	'ACME',
	'аcme', // Cyrillic а
	'ａｃｍｅ', // full-width
	'acme\u200b',
	'acme%2Fglobex',
	'acme%252Fglobex',
	'acme/../globex',
	'..%2F..%2Fglobex',
	'%2e%2e',
	'acme\u0000',
	'%00',
	'%ff%fe',
	'%E0%A4%A',
	'%',
	"' OR '1'='1",
	'"; DROP TABLE clients;--',
	'__proto__',
	'constructor',
	'prototype',
	'${jndi:ldap://x}',
	'<script>alert(1)</script>',
	'\ud800',
	'😀',
	'a'.repeat(65),
	'a'.repeat(5000),
	'-1',
	'1e309',
	'NaN',
	'true',
	'null',
	'[]',
	'{}',
];

/**
 * Text a database cannot store: NUL (`text` and `jsonb` refuse it) and unpaired UTF-16
 * surrogates (no UTF-8 form), alone or inside ordinary text, in keys as in values.
 */
export const unstorableText = fc
	.tuple(
		fc.string({ maxLength: 8 }),
		fc.constantFrom('\u0000', '\ud800', '\udfff', '\udc00\ud800', '\ud83d'),
		fc.string({ maxLength: 8 }),
	)
	.map(([before, odd, after]) => `${before}${odd}${after}`);

/** RFC 3339 date-times that are no instant JavaScript can hold: leap seconds. */
export const leapSecond = fc.constantFrom(
	'2026-12-31T23:59:60Z',
	'2026-06-30T23:59:60+00:00',
	'2016-12-31T23:59:60.5Z',
);

/** An object or array nested from 33 to 4,000 levels deep (the vault takes 32). */
export const deepJson = fc
	.tuple(fc.integer({ min: 33, max: 4000 }), fc.boolean())
	.map(([levels, arrays]) => {
		let value: unknown = 1;
		for (let level = 0; level < levels; level += 1) value = arrays ? [value] : { a: value };
		return value;
	});

export const hostileText = fc.oneof(
	{ weight: 3, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
	{ weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
	{ weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
	{ weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => s.repeat(500)) },
	{ weight: 1, arbitrary: unstorableText },
);

export const hostileNumber = fc.oneof(
	fc.constantFrom(
		-1,
		0,
		1,
		2 ** 31,
		2 ** 53 + 1,
		-(2 ** 63),
		1e20,
		1e308,
		-0,
		0.5,
		Number.MAX_VALUE,
	),
	fc.integer(),
	fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON, with the keys that pollute prototypes among the usual ones. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
	value: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		hostileText,
		hostileNumber,
		fc.boolean(),
		fc.constant(null),
		fc.array(tie('value'), { maxLength: 4 }),
		fc.dictionary(
			fc.oneof(
				fc.constantFrom('__proto__', 'constructor', 'prototype'),
				fc.string(),
				unstorableText,
			),
			tie('value'),
			{
				maxKeys: 4,
			},
		),
	),
})).value;

export const contentTypes = fc.constantFrom(
	'application/json',
	'application/json',
	'application/json',
	'application/json',
	'application/json; charset=utf-8',
	'APPLICATION/JSON',
	'application/json; charset=utf-16',
	'application/vnd.api+json',
	'text/plain',
	'application/x-www-form-urlencoded',
	'multipart/form-data; boundary=x',
	'application/xml',
	'',
	undefined,
);
