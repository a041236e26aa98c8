import { test } from "node:test";
import assert from "node:assert/strict";
import { dayFromPage, dayFromSnapshot, foldTrades, foldQuote, volumeText } from "./day_figures.js";

const trade = (seq, price, qty) => ({ seq, price, qty, time: "2026-12-01T15:00:00Z" });

test("a snapshot sets the day, the trades after it fold in once each", () => {
  const day = dayFromSnapshot({ seq: 10, day: { volume: 500, high: "101.0000", low: "99.5000" } });
  assert.equal(foldTrades(day, { seq: 12, trades: [trade(11, "102.2500", 30), trade(12, "99.0000", 5)] }), true);
  assert.deepEqual([day.volume, day.high, day.low, day.seq], [535, "102.2500", "99.0000", 12]);
  // Already counted (a snapshot and an update both carried it): nothing changes.
  assert.equal(foldTrades(day, { seq: 12, trades: [trade(12, "99.0000", 5)] }), false);
  assert.equal(day.volume, 535);
});

test("trades before the first snapshot are left to it", () => {
  const day = dayFromPage({ volume: "7", high: "100.00", low: "" });
  assert.equal(foldTrades(day, { seq: 3, trades: [trade(3, "120", 1)] }), false);
  assert.deepEqual([day.volume, day.high, day.low], [7, "100.00", null]);
});

test("a quote widens the range by the reference prices, never narrows it", () => {
  const day = dayFromSnapshot({ seq: 0, day: { volume: 0, high: null, low: null } });
  assert.equal(foldQuote(day, { day_high: "100.5000", day_low: "99.0000" }), true);
  assert.equal(foldQuote(day, { day_high: "100.1000", day_low: "99.5000" }), false);
  assert.deepEqual([day.high, day.low], ["100.5000", "99.0000"]);
  assert.equal(foldQuote(day, { day_high: null, day_low: null }), false);
});

test("volume reads with thousands separators", () => {
  assert.equal(volumeText(1234567), "1,234,567");
  assert.equal(volumeText(0), "0");
});
