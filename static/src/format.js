// Money and prices as traders read them: decimal strings in, never through floating point for
// what is shown from the server; "$" and two decimals, more only where the price has them.

// "101.0000" -> "101.00"; "0.1234" -> "0.1234" (a sub-cent tick keeps its digits).
export function price(value) {
  if (value === null || value === undefined || value === "") return "";
  const text = String(value);
  const negative = text.startsWith("-");
  const [whole, frac = ""] = (negative ? text.slice(1) : text).split(".");
  const trimmed = frac.replace(/0+$/, "");
  const digits = trimmed.length > 2 ? trimmed : (trimmed + "00").slice(0, 2);
  return (negative ? "-" : "") + (whole || "0") + "." + digits;
}

function groupThousands(whole) {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// A number or decimal string as dollars: 1234.5 -> "$1,234.50", -3 -> "-$3.00".
export function money(value) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return "";
  const cents = Math.round(Number(value) * 100);
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = groupThousands(String(Math.floor(abs / 100)));
  return (negative ? "-" : "") + "$" + whole + "." + String(abs % 100).padStart(2, "0");
}

// A change with its sign: 1.5 -> "+$1.50"; as a percentage with one or two decimals.
export function signedMoney(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return "";
  return (n > 0 ? "+" : "") + money(n);
}

export function signedPct(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return "";
  return (n > 0 ? "+" : "") + n.toFixed(2) + "%";
}

// The number of decimals a tick needs: "0.01" -> 2, "0.0001" -> 4, "1" -> 0.
export function tickDecimals(tick) {
  const frac = String(tick).split(".")[1] || "";
  return frac.replace(/0+$/, "").length;
}

// A price rounded to the tick, as the text a price field should hold.
export function onTick(value, tick) {
  const t = Number(tick);
  const n = Number(value);
  if (!Number.isFinite(n) || !(t > 0)) return "";
  const places = Math.max(2, tickDecimals(tick));
  return (Math.round(n / t) * t).toFixed(places);
}

// Market time, labelled: "14:03:07 ET".
export function clock(iso, timeZone) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString("en-GB", { timeZone, hour12: false });
}
