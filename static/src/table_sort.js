// Sorting the markets table and drawing sparklines: pure functions.

function parse(value, kind) {
  if (kind === "text") return String(value).toLowerCase();
  const n = parseFloat(String(value).replace(/[,$\s]/g, ""));
  return Number.isFinite(n) ? n : -Infinity;
}

// Rows ordered by key(row) as text or number; ties keep their order (Array.sort is stable).
export function sortRows(rows, key, kind, ascending) {
  const sign = ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = parse(key(a), kind);
    const y = parse(key(b), kind);
    return x < y ? -sign : x > y ? sign : 0;
  });
}

// An SVG path through the values, scaled to width × height (a flat line when they are equal).
export function sparklinePath(values, width, height) {
  if (!values.length) return "";
  if (values.length === 1) values = [values[0], values[0]]; // one bar so far: a flat line
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = (i * step).toFixed(1);
      const y = (max === min ? height / 2 : height - ((v - min) / span) * (height - 2) - 1).toFixed(1);
      return (i ? "L" : "M") + x + " " + y;
    })
    .join(" ");
}
