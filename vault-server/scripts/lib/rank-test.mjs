// Statistics for the timing script: medians and a two-sided Mann-Whitney U test.

export const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Standard normal CDF (Abramowitz and Stegun 7.1.26). */
function normalCdf(z) {
	const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
	const poly =
		t *
		(0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
	const erf = 1 - poly * Math.exp(-(z * z) / 2);
	return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Mann-Whitney U with the normal approximation and tie correction. Returns U, z, the two-sided p
 * and the common-language effect size (probability that a value of `a` exceeds one of `b`).
 */
export function mannWhitney(a, b) {
	const all = [...a.map((v) => [v, 0]), ...b.map((v) => [v, 1])].sort((x, y) => x[0] - y[0]);
	const ranks = new Array(all.length);
	let tieTerm = 0;
	for (let i = 0; i < all.length; ) {
		let j = i;
		while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j += 1;
		const rank = (i + j) / 2 + 1;
		for (let k = i; k <= j; k += 1) ranks[k] = rank;
		const ties = j - i + 1;
		tieTerm += ties ** 3 - ties;
		i = j + 1;
	}
	const n1 = a.length;
	const n2 = b.length;
	const rankSumA = all.reduce((sum, [, group], i) => (group === 0 ? sum + ranks[i] : sum), 0);
	const u = rankSumA - (n1 * (n1 + 1)) / 2;
	const n = n1 + n2;
	const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
	const z = (u - (n1 * n2) / 2) / sigma;
	return { u, z, p: 2 * (1 - normalCdf(Math.abs(z))), effect: u / (n1 * n2) };
}
