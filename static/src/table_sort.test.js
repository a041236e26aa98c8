import { test } from "node:test";
import assert from "node:assert/strict";
import { sortRows } from "./table_sort.js";

test("rows sort by number or text, both ways", () => {
  const rows = [{ v: "1,200" }, { v: "-3.5" }, { v: "40" }];
  assert.deepEqual(sortRows(rows, (r) => r.v, "number", true).map((r) => r.v), ["-3.5", "40", "1,200"]);
  assert.deepEqual(sortRows(rows, (r) => r.v, "number", false).map((r) => r.v), ["1,200", "40", "-3.5"]);
  const names = [{ v: "beta" }, { v: "Alpha" }];
  assert.deepEqual(sortRows(names, (r) => r.v, "text", true).map((r) => r.v), ["Alpha", "beta"]);
});
