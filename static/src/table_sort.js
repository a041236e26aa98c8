// Sorting the markets table: a pure function.

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
