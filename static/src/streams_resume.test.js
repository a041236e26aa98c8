// The stream client (streams.js) with a scripted WebSocket: the private orders channel resumes
// with since_seq after a reconnect, and shows each message once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "./streams.js";
import { fakeBrowser } from "./stream_fakes.js";

const update = (seq) => ({ type: "orders", symbol: "ZED", events: [], seq: seq });

test("the orders channel resumes after a reconnect with since_seq, each message once", () => {
  const { env, sockets, timers } = fakeBrowser();
  const client = new Client({ env });
  const seen = [];
  client.subscribe("orders", null, (m) => seen.push(m.seq));

  const first = sockets[0];
  first.open();
  assert.equal(first.sent[0].channel, "orders");
  assert.equal(first.sent[0].since_seq, undefined);
  first.receive({ type: "orders.snapshot", seq: 3, orders: [], missed: [] });
  first.receive(update(4));
  first.close(); // the host behind the load balancer died
  timers.shift()(); // the back-off's reconnect

  const second = sockets[1];
  second.open();
  assert.equal(second.sent[0].since_seq, 4);
  const missed = [update(4), update(5), update(6)];
  second.receive({ type: "orders.snapshot", seq: 6, orders: [], missed: missed });
  second.receive(update(6)); // committed while the snapshot was read: not shown twice
  second.receive(update(7));
  second.receive(update(9)); // a gap: asks for the replay after 7
  assert.equal(second.sent.at(-1).since_seq, 7);
  second.receive(update(10)); // while the replay is on its way: it brings this one too
  second.receive({ type: "orders.snapshot", seq: 10, orders: [], missed: [update(8), update(9), update(10)] });

  assert.deepEqual(seen, [4, 5, 6, 7, 8, 9, 10]);
});
