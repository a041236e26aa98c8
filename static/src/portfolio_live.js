// What moves the portfolio besides the user's own orders: anyone's trade in a stock held (the
// last trade marks it) and a change of its reference price. The page listens to the public
// trades and quotes streams of the symbols it shows and, when one of them moves, asks the
// server for its figures again, so the page shows exactly what a reload would (the server's
// marking rule: the last trade held inside the price band, else the reference price).

// The most symbols followed at once (two subscriptions each), as the markets page's quotes.
export const FOLLOWED_SYMBOLS = 20;

// Decides, message by message, whether a held stock's value may have moved. Any trade may
// move the mark, and so may a snapshot (the first one closes the gap between the page's render
// and its subscription; a later one follows a gap or a reconnect). A quote matters when it is
// the first (same reason) or its reference price changed.
export class MoveWatch {
  constructor() {
    this.prices = new Map();
  }

  trades() {
    return true;
  }

  quote(symbol, quote) {
    const price = quote ? quote.price : null;
    const known = this.prices.has(symbol);
    const before = this.prices.get(symbol);
    this.prices.set(symbol, price);
    return !known || before !== price;
  }

  forget(symbol) {
    this.prices.delete(symbol);
  }
}

// The subscriptions to add and drop to follow `wanted` (at most FOLLOWED_SYMBOLS of them).
export function followPlan(current, wanted) {
  const next = new Set([...new Set(wanted)].slice(0, FOLLOWED_SYMBOLS));
  return {
    add: [...next].filter((s) => !current.has(s)),
    drop: [...current].filter((s) => !next.has(s)),
  };
}

// Follows the symbols of the rows `rowsOf()` finds, calling `moved()` when one may have moved;
// `sync()` again after the rows change.
export function followHoldings(streams, rowsOf, moved) {
  const watch = new MoveWatch();
  const stops = new Map();
  const sync = () => {
    const wanted = [...rowsOf()].map((row) => row.dataset.symbol).filter(Boolean);
    const plan = followPlan(new Set(stops.keys()), wanted);
    for (const symbol of plan.drop) {
      for (const stop of stops.get(symbol)) stop();
      stops.delete(symbol);
      watch.forget(symbol);
    }
    for (const symbol of plan.add) {
      stops.set(symbol, [
        streams.subscribe("trades", symbol, (m) => watch.trades(symbol, m) && moved(symbol)),
        streams.subscribe("quotes", symbol, (q) => watch.quote(symbol, q) && moved(symbol)),
      ]);
    }
  };
  sync();
  return sync;
}
