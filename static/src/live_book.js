// One symbol's order book as the stream builds it: a snapshot, then deltas whose `seq` rises by
// exactly one. Levels are kept as the strings sent (price -> {qty, orders}); numbers only sort.

export class LiveBook {
  constructor(symbol) {
    this.symbol = symbol;
    this.seq = -1;
    this.synced = false;
    this.depth = null;
    this.sides = { buy: new Map(), sell: new Map() };
    this.truncated = { buy: false, sell: false };
  }

  load(snapshot) {
    this.seq = snapshot.seq;
    this.depth = snapshot.depth;
    this.sides.buy = new Map(snapshot.bids.map((l) => [l.price, { qty: l.qty, orders: l.orders }]));
    this.sides.sell = new Map(snapshot.asks.map((l) => [l.price, { qty: l.qty, orders: l.orders }]));
    // A side that filled the requested depth may go deeper than what we were sent.
    this.truncated.buy = snapshot.bids.length >= snapshot.depth;
    this.truncated.sell = snapshot.asks.length >= snapshot.depth;
    this.synced = true;
  }

  // Returns false on a gap: the book can no longer be trusted until a new snapshot.
  apply(delta) {
    if (!this.synced) return true; // waiting for a snapshot
    if (delta.seq <= this.seq) return true; // already in the snapshot
    if (delta.first_seq !== this.seq + 1) {
      this.synced = false;
      return false;
    }
    for (const level of delta.levels) {
      const side = this.sides[level.side];
      if (level.qty === "0") {
        side.delete(level.price);
      } else {
        const known = side.get(level.price);
        const orders = level.orders !== undefined ? level.orders : known ? known.orders : null;
        side.set(level.price, { qty: level.qty, orders });
      }
    }
    this.seq = delta.seq;
    return true;
  }

  // Best first: [{price, qty, orders}], at most `limit`.
  levels(side, limit) {
    const entries = Array.from(this.sides[side].entries());
    entries.sort((a, b) => (side === "buy" ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
    return entries.slice(0, limit).map((e) => ({ price: e[0], qty: e[1].qty, orders: e[1].orders }));
  }

  // True when showing `shown` levels of a truncated side would need levels we were never sent.
  tooShallow(shown) {
    return (
      (this.truncated.buy && this.sides.buy.size < shown) ||
      (this.truncated.sell && this.sides.sell.size < shown)
    );
  }
}
