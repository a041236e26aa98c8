// A scripted WebSocket and clock for the stream client's tests (not part of any bundle).

export class FakeSocket {
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.readyState = 3;
    if (this.onclose) this.onclose();
  }

  open() {
    this.readyState = 1;
    this.onopen();
  }

  receive(message) {
    this.onmessage({ data: JSON.stringify(message) });
  }

  // The subscribe requests sent, as [channel, symbol] pairs.
  subscribes() {
    return this.sent.filter((m) => m.action === "subscribe").map((m) => [m.channel, m.symbol]);
  }
}

// The browser a Client sees: sockets are recorded, timers wait until a test runs them.
export function fakeBrowser() {
  const sockets = [];
  const timers = [];
  class Socket extends FakeSocket {
    constructor(url) {
      super(url);
      sockets.push(this);
    }
  }
  const env = {
    location: { protocol: "http:", host: "example.test" },
    WebSocket: Socket,
    setTimeout: (fn) => timers.push(fn),
    setInterval: () => 0,
    clearInterval: () => {},
    random: () => 0.5,
  };
  return { env, sockets, timers };
}
