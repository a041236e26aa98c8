import { test } from "node:test";
import assert from "node:assert/strict";
import { price, money, signedMoney, signedPct, signedPrice, onTick, isOnTick, tickDecimals, tickPlaces, fixed, subtract, sign, shares } from "./format.js";

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

test("with the stock's tick a price shows exactly the tick's decimals", () => {
  assert.equal(price("101.2500", "0.01"), "101.25");
  assert.equal(price("101.2500", "0.0100"), "101.25");
  assert.equal(price("0.1200", "0.0001"), "0.1200");
  assert.equal(price("101", "0.05"), "101.00");
  assert.equal(price("101.125", "0.01"), "101.13"); // half away from zero, as the server rounds
  assert.equal(price("-101.125", "0.01"), "-101.13");
  assert.equal(price("12", "1"), "12.00"); // a cent at least
  assert.equal(tickPlaces("0.0001"), 4);
  assert.equal(tickPlaces(undefined), 2);
});

test("nothing goes through floating point", () => {
  // Floats would print these a cent (or a digit) off.
  assert.equal(price("1.005", "0.01"), "1.01"); // (1.005).toFixed(2) === "1.00"
  assert.equal(money("1.005"), "$1.01");
  assert.equal(price("9007199254740993.25", "0.01"), "9007199254740993.25"); // past 2^53
  assert.equal(money("123456789012345678.90"), "$123,456,789,012,345,678.90");
  assert.equal(onTick("0.3", "0.1"), "0.30"); // 3 * 0.1 === 0.30000000000000004
  assert.equal(subtract("0.3", "0.1"), "0.2");
  assert.equal(subtract("101.00", "100.99"), "0.01");
  assert.equal(subtract("100", "100.25"), "-0.25");
  assert.equal(fixed("2.675", 2), "2.68"); // (2.675).toFixed(2) === "2.67"
});

test("a price is put on the tick by string arithmetic", () => {
  assert.equal(onTick("101.234", "0.01"), "101.23");
  assert.equal(onTick("101.125", "0.05"), "101.15"); // a half step rounds up
  assert.equal(onTick("101.1234", "0.0050"), "101.125");
  assert.equal(onTick("101.1", "0.0001"), "101.1000");
  assert.equal(onTick("abc", "0.01"), "");
  assert.equal(onTick("1", "0"), "");
  assert.equal(isOnTick("101.25", "0.05"), true);
  assert.equal(isOnTick("101.26", "0.05"), false);
  assert.equal(isOnTick("101.2500", "0.01"), true);
});

test("changes carry their sign; quantities their separators", () => {
  assert.equal(signedPrice("1.5"), "+1.50");
  assert.equal(signedPrice("-0.25", "0.01"), "-0.25");
  assert.equal(signedPrice("0.0000"), "0.00");
  assert.equal(signedPct("-1.234"), "-1.23%");
  assert.equal(signedMoney("0.001"), "$0.00"); // rounds to nothing: no sign
  assert.equal(sign("-0.01"), -1);
  assert.equal(sign("0.0000"), 0);
  assert.equal(shares("1234567"), "1,234,567");
  assert.equal(shares(1200.7), "1,200");
  assert.equal(shares(null), "0");
  assert.equal(money(1e-7), "$0.00");
  assert.equal(price("not a number"), "");
});
