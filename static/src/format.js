// The one place prices, money, quantities and percentages become text. The server sends decimal
// strings ("101.2500"); they are rounded and printed here as scaled integers (BigInt), never
// through floating point, so "0.1234" on a sub-cent tick keeps every digit and a price is never
// shown a cent off. Numbers (a total the page summed itself) are accepted and read by their
// shortest decimal text.

// A decimal as {negative, units, scale}: "-1.250" -> {true, 1250n, 3}; null when it is not one.
function parse(value) {
  if (value === null || value === undefined || value === "") return null;
  let text;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    text = String(value);
    if (/e/i.test(text)) text = value.toFixed(20);
  } else {
    text = String(value).trim();
  }
  const match = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (!match[2] && !match[3])) return null;
  const frac = match[3] || "";
  return { negative: match[1] === "-", units: BigInt((match[2] || "0") + frac), scale: frac.length };
}

const TEN = 10n;

// The same decimal at `places` decimals, rounded half away from zero (as the server's
// ROUND_HALF_UP does).
function rescale(d, places) {
  if (places >= d.scale) return { ...d, units: d.units * TEN ** BigInt(places - d.scale), scale: places };
  const divisor = TEN ** BigInt(d.scale - places);
  let units = d.units / divisor;
  if ((d.units % divisor) * 2n >= divisor) units += 1n;
  return { ...d, units, scale: places };
}

// Digits of a non-negative scaled integer: (12345n, 2) -> ["123", "45"].
function split(units, scale) {
  const digits = units.toString().padStart(scale + 1, "0");
  return [digits.slice(0, digits.length - scale), digits.slice(digits.length - scale)];
}

function text(d, group = false) {
  const [whole, frac] = split(d.units, d.scale);
  const sign = d.negative && d.units !== 0n ? "-" : "";
  return sign + (group ? groupThousands(whole) : whole) + (d.scale ? "." + frac : "");
}

function groupThousands(whole) {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// The sign of a decimal after rounding to `places`: -1, 0 or 1.
function signAt(d, places) {
  const r = rescale(d, places);
  if (r.units === 0n) return 0;
  return r.negative ? -1 : 1;
}

// A decimal at exactly `places` decimals: fixed("101.125", 2) -> "101.13". "" when not a number.
export function fixed(value, places) {
  const d = parse(value);
  return d ? text(rescale(d, places)) : "";
}

// The number of decimals a tick has: "0.01" -> 2, "0.0001" -> 4, "0.0100" -> 2, "1" -> 0.
export function tickDecimals(tick) {
  const frac = String(tick).split(".")[1] || "";
  return frac.replace(/0+$/, "").length;
}

// The decimals a price on this tick is shown with: a cent at least, more for a finer tick.
export function tickPlaces(tick) {
  return tick ? Math.max(2, tickDecimals(tick)) : 2;
}

// A price as a plain number. With the stock's tick: at the tick's decimals ("101.2500" on
// "0.01" -> "101.25"; "0.1234" on "0.0001" -> "0.1234"). Without one: two decimals, more only
// where the price has them.
export function price(value, tick) {
  const d = parse(value);
  if (!d) return "";
  if (tick) return text(rescale(d, tickPlaces(tick)));
  const [, frac] = split(d.units, d.scale);
  const significant = frac.replace(/0+$/, "").length;
  return text(rescale(d, Math.max(2, significant)));
}

// Dollars with separators and cents: "1234.5" -> "$1,234.50", -3 -> "-$3.00".
export function money(value) {
  const d = parse(value);
  if (!d) return "";
  const cents = rescale(d, 2);
  const negative = cents.negative && cents.units !== 0n;
  return (negative ? "-" : "") + "$" + text({ ...cents, negative: false }, true);
}

// A change with its sign: 1.5 -> "+$1.50"; a percentage with two decimals: 0.456 -> "+0.46%".
export function signedMoney(value) {
  const d = parse(value);
  if (!d) return "";
  return (signAt(d, 2) > 0 ? "+" : "") + money(value);
}

export function signedPct(value) {
  const d = parse(value);
  if (!d) return "";
  return (signAt(d, 2) > 0 ? "+" : "") + text(rescale(d, 2)) + "%";
}

// A signed price change at the price's decimals: "1.5" -> "+1.50", "-0.25" -> "-0.25".
export function signedPrice(value, tick) {
  const d = parse(value);
  if (!d) return "";
  return (d.units !== 0n && !d.negative ? "+" : "") + price(value, tick);
}

// -1, 0 or 1: whether a decimal string is below, at or above zero.
export function sign(value) {
  const d = parse(value);
  if (!d || d.units === 0n) return 0;
  return d.negative ? -1 : 1;
}

// Whole shares with separators: "1234" -> "1,234", 1200.7 -> "1,200" (volumes, quantities).
export function shares(value) {
  const d = parse(value);
  if (!d) return "0";
  const whole = d.units / TEN ** BigInt(d.scale);
  return (d.negative && whole !== 0n ? "-" : "") + groupThousands(whole.toString());
}

// a - b, exactly, as a decimal string: ("101.05", "100.9") -> "0.15".
export function subtract(a, b) {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  const scale = Math.max(x.scale, y.scale);
  const signed = (d) => rescale(d, scale).units * (d.negative ? -1n : 1n);
  const units = signed(x) - signed(y);
  return text({ negative: units < 0n, units: units < 0n ? -units : units, scale });
}

// A price rounded to the nearest tick (a half tick rounds up), as the text a price field
// should hold: ("101.26", "0.05") -> "101.25". "" when either is not a positive number.
export function onTick(value, tick) {
  const v = parse(value);
  const t = parse(tick);
  if (!v || !t || t.negative || t.units === 0n) return "";
  const scale = Math.max(v.scale, t.scale);
  const units = rescale(v, scale).units * (v.negative ? -1n : 1n);
  const step = rescale(t, scale).units;
  // floor((2v + t) / 2t): the nearest multiple, a half rounding towards +infinity.
  const twice = 2n * units + step;
  let steps = twice / (2n * step);
  if (twice < 0n && twice % (2n * step) !== 0n) steps -= 1n;
  const onStep = steps * step;
  const rounded = { negative: onStep < 0n, units: onStep < 0n ? -onStep : onStep, scale };
  return text(rescale(rounded, tickPlaces(tick)));
}

// Whether a price lies on the tick's grid.
export function isOnTick(value, tick) {
  const rounded = onTick(value, tick);
  return rounded !== "" && subtract(rounded, value) !== null && sign(subtract(rounded, value)) === 0;
}

// Market time, labelled: "14:03:07".
export function clock(iso, timeZone) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString("en-GB", { timeZone, hour12: false });
}
