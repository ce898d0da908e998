interface Pending<Item, Result> {
	item: Item;
	resolve: (result: Result) => void;
	reject: (error: unknown) => void;
}

export interface MicroBatcherLimits {
	/** Items per call of the batch function. */
	maxBatch: number;
	/** Batches running at once; items arriving meanwhile wait and go together in the next one. */
	maxInFlight: number;
}

/**
 * Turns many concurrent calls into few: the items added during one turn of the event loop, and
 * those added while `maxInFlight` batches run, go to the batch function together. Under light
 * load a batch holds one item and waits one turn at most; under load, batches grow and the
 * database sees one statement for many requests.
 */
export class MicroBatcher<Item, Result> {
	#queue: Pending<Item, Result>[] = [];
	#inFlight = new Set<Promise<void>>();
	#scheduled = false;

	constructor(
		/** Resolves with one result per item, in order (or nothing, when Result is void). */
		private readonly run: (items: Item[]) => Promise<readonly Result[] | void>,
		private readonly limits: MicroBatcherLimits,
	) {}

	add(item: Item): Promise<Result> {
		return new Promise((resolve, reject) => {
			this.#queue.push({ item, resolve, reject });
			this.#schedule();
		});
	}

	/** Waits until every item added so far is done (or failed). */
	async drain(): Promise<void> {
		while (this.#inFlight.size > 0 || this.#scheduled) {
			await Promise.allSettled([
				...this.#inFlight,
				new Promise((resolve) => setImmediate(resolve)),
			]);
		}
	}

	#schedule() {
		if (
			this.#scheduled ||
			this.#inFlight.size >= this.limits.maxInFlight ||
			this.#queue.length === 0
		)
			return;
		this.#scheduled = true;
		setImmediate(() => {
			this.#scheduled = false;
			this.#start();
		});
	}

	#start() {
		while (this.#inFlight.size < this.limits.maxInFlight && this.#queue.length > 0) {
			this.#run(this.#queue.splice(0, this.limits.maxBatch));
		}
	}

	#run(batch: Pending<Item, Result>[]) {
		const done = Promise.resolve()
			.then(() => this.run(batch.map((pending) => pending.item)))
			.then(
				(results) => batch.forEach((pending, index) => pending.resolve(results?.[index] as Result)),
				(error: unknown) => batch.forEach((pending) => pending.reject(error)),
			);
		this.#inFlight.add(done);
		void done.finally(() => {
			this.#inFlight.delete(done);
			this.#schedule();
		});
	}
}
