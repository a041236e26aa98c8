import { test } from "node:test";
import assert from "node:assert/strict";
import { clockOffset, timeLeft } from "./auction_clock.js";

const browserNow = Date.parse("2026-12-07T15:00:00Z");

test("the countdown runs on the server's clock, not the browser's", () => {
  // The browser's clock is 90 seconds fast: the server says it is 14:58:30.
  const offset = clockOffset("2026-12-07T14:58:30Z", browserNow);
  assert.equal(offset, -90000);
  // Ends at 15:00:00 server time: 1:30 left, although the browser thinks it is over.
  assert.deepEqual(timeLeft("2026-12-07T15:00:00Z", offset, browserNow), { text: "1:30", soon: false, over: false });
  assert.deepEqual(timeLeft("2026-12-07T15:00:00Z", 0, browserNow), { text: "closing…", soon: true, over: true });
});

test("a later server_time moves the countdown with it", () => {
  const offset = clockOffset("2026-12-07T14:59:40Z", browserNow); // 20 s before the end
  assert.deepEqual(timeLeft("2026-12-07T15:00:00Z", offset, browserNow), { text: "0:20", soon: true, over: false });
  // The browser's own clock moves on 5 s: the offset holds, 15 s are left.
  assert.equal(timeLeft("2026-12-07T15:00:00Z", offset, browserNow + 5000).text, "0:15");
});

test("hours, minutes and seconds; a part second counts as a second", () => {
  assert.equal(timeLeft("2026-12-07T16:02:03Z", 0, browserNow).text, "1:02:03");
  assert.equal(timeLeft("2026-12-07T15:04:05Z", 0, browserNow - 500).text, "4:06");
  assert.equal(timeLeft("2026-12-07T15:00:31Z", 0, browserNow).soon, false);
  assert.equal(timeLeft("2026-12-07T15:00:30Z", 0, browserNow).soon, true);
});

test("an unreadable server time leaves the browser's clock in charge", () => {
  assert.equal(clockOffset("", browserNow), 0);
  assert.equal(clockOffset(undefined, browserNow), 0);
});
