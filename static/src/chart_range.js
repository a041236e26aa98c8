// The stock chart's ranges: how far back a chart looks (1D, 1W, 1M, 1Y) and the bar length
// each draws by default. A range asks the candles API for bars from its start; a bar length
// that would need more bars than the API gives in one answer starts later instead (the latest
// MAX_BARS bars, less a few for the clocks' difference), so every range and bar length pair draws.

export const MAX_BARS = 1000; // marketdata.selectors.MAX_CANDLES
// Bars kept in hand for a browser clock a little behind the server's (which ends the period).
const SKEW_BARS = 10;

const DAY = 86400;

export const RANGES = {
  "1D": { seconds: DAY, interval: "5m" },
  "1W": { seconds: 7 * DAY, interval: "1h" },
  "1M": { seconds: 30 * DAY, interval: "1h" },
  "1Y": { seconds: 365 * DAY, interval: "1d" },
};

export const DEFAULT_RANGE = "1D";

const INTERVAL_SECONDS = { "1m": 60, "5m": 300, "1h": 3600, "1d": DAY };

export function isRange(name) {
  return Object.prototype.hasOwnProperty.call(RANGES, name);
}

// {interval, start} for a range (and a bar length, else the range's own) at `nowMs`: start as
// RFC 3339 in UTC, whole seconds.
export function rangeQuery(range, interval, nowMs) {
  const spec = RANGES[isRange(range) ? range : DEFAULT_RANGE];
  const bar = INTERVAL_SECONDS[interval] ? interval : spec.interval;
  const now = Math.floor(nowMs / 1000);
  const back = Math.min(spec.seconds, (MAX_BARS - SKEW_BARS) * INTERVAL_SECONDS[bar]);
  return { interval: bar, start: new Date((now - back) * 1000).toISOString().replace(".000Z", "Z") };
}

// The candles API's address for a range.
export function candlesUrl(symbol, range, interval, nowMs) {
  const q = rangeQuery(range, interval, nowMs);
  return `/api/v1/stocks/${encodeURIComponent(symbol)}/candles?interval=${q.interval}&start=${encodeURIComponent(q.start)}`;
}
