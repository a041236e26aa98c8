// The order book's depth: running totals and bar widths for each shown level.
import { subtract } from "./format.js";

// levels: best first [{price, qty, orders}]; returns the same with `total` (shares up to and
// including this level) and `width` (0..100, the total against the deeper of the two sides).
export function withDepth(levels, deepest) {
  let total = 0;
  return levels.map((level) => {
    total += Number(level.qty);
    return { ...level, total, width: deepest > 0 ? Math.round((total / deepest) * 1000) / 10 : 0 };
  });
}

export function depthOf(bids, asks) {
  const sum = (levels) => levels.reduce((n, l) => n + Number(l.qty), 0);
  return Math.max(sum(bids), sum(asks));
}

// Best bid, best ask and spread from the two sides (decimal strings or null).
export function topOfBook(bids, asks) {
  const bid = bids.length ? bids[0].price : null;
  const ask = asks.length ? asks[0].price : null;
  const spread = bid !== null && ask !== null ? subtract(ask, bid) : null; // exact: "1.00"
  return { bid, ask, spread };
}
