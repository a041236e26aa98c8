import { test } from "node:test";
import assert from "node:assert/strict";
import { price, money, signedMoney, signedPct, onTick, tickDecimals } from "./format.js";

test("prices show two decimals, more only where the tick needs them", () => {
  assert.equal(price("101.0000"), "101.00");
  assert.equal(price("101.5"), "101.50");
  assert.equal(price("0.1234"), "0.1234");
  assert.equal(price("-2.5000"), "-2.50");
  assert.equal(price(null), "");
});

test("money has a dollar sign, thousands separators and cents", () => {
  assert.equal(money(1234.5), "$1,234.50");
  assert.equal(money("100000"), "$100,000.00");
  assert.equal(money(-3), "-$3.00");
  assert.equal(signedMoney(1.5), "+$1.50");
  assert.equal(signedMoney(-1.5), "-$1.50");
  assert.equal(signedPct(0.456), "+0.46%");
});

test("a price is put on the tick", () => {
  assert.equal(tickDecimals("0.0100"), 2);
  assert.equal(tickDecimals("0.0001"), 4);
  assert.equal(onTick(101.234, "0.01"), "101.23");
  assert.equal(onTick(101.26, "0.05"), "101.25");
});
