import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_RANGE, MAX_BARS, RANGES, candlesUrl, isRange, rangeQuery } from "./chart_range.js";

const NOW = Date.parse("2026-12-07T15:30:45.678Z");

test("each range draws its own bar length from its own start", () => {
  assert.deepEqual(rangeQuery("1D", null, NOW), { interval: "5m", start: "2026-12-06T15:30:45Z" });
  assert.deepEqual(rangeQuery("1W", null, NOW), { interval: "1h", start: "2026-11-30T15:30:45Z" });
  assert.deepEqual(rangeQuery("1M", null, NOW), { interval: "1h", start: "2026-11-07T15:30:45Z" });
  assert.deepEqual(rangeQuery("1Y", null, NOW), { interval: "1d", start: "2025-12-07T15:30:45Z" });
});

test("no range asks for more bars than one answer holds", () => {
  for (const range of Object.keys(RANGES)) {
    for (const [interval, seconds] of [["1m", 60], ["5m", 300], ["1h", 3600], ["1d", 86400]]) {
      const q = rangeQuery(range, interval, NOW);
      const bars = (NOW / 1000 - Date.parse(q.start) / 1000) / seconds;
      assert.ok(bars < MAX_BARS, `${range} of ${interval}: ${bars} bars`);
    }
  }
  // A day of one-minute bars is more than an answer holds: the latest 990 minutes (16 h 30
  // min; ten bars spare for a browser clock behind the server's).
  assert.deepEqual(rangeQuery("1D", "1m", NOW), { interval: "1m", start: "2026-12-06T23:00:45Z" });
});

test("an unknown range or bar length falls back to the defaults", () => {
  assert.equal(DEFAULT_RANGE, "1D");
  assert.equal(isRange("5Y"), false);
  assert.equal(isRange("toString"), false);
  assert.deepEqual(rangeQuery("5Y", "2m", NOW), rangeQuery("1D", null, NOW));
});

test("the candles address carries the bar length and the start", () => {
  assert.equal(
    candlesUrl("BRK.B", "1W", null, NOW),
    "/api/v1/stocks/BRK.B/candles?interval=1h&start=2026-11-30T15%3A30%3A45Z"
  );
});
