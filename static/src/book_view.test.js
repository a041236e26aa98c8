import { test } from "node:test";
import assert from "node:assert/strict";
import { withDepth, depthOf, topOfBook } from "./book_view.js";

test("each level carries the running total and a bar against the deeper side", () => {
  const bids = [{ price: "100.00", qty: "10" }, { price: "99.00", qty: "30" }];
  const asks = [{ price: "101.00", qty: "5" }];
  const deepest = depthOf(bids, asks);
  assert.equal(deepest, 40);
  const rows = withDepth(bids, deepest);
  assert.deepEqual(rows.map((r) => [r.total, r.width]), [[10, 25], [40, 100]]);
  assert.deepEqual(topOfBook(bids, asks), { bid: "100.00", ask: "101.00", spread: "1.00" });
  assert.deepEqual(topOfBook([], asks), { bid: null, ask: "101.00", spread: null });
});
