// Brokerage live streams: one websocket to /ws/, many subscriptions, kept alive for the page.
//
//   const streams = new BrokerageStreams.Client();
//   streams.subscribe("book", "AAPL", (book) => ..., { depth: 50 });   // a LiveBook, on every change
//   streams.subscribe("trades", "AAPL", (msg) => ...);  // {kind: "snapshot"|"trades", trades: [...]}
//   streams.subscribe("quotes", "AAPL", (quote) => ...);
//   streams.subscribe("orders", null, (msg) => ...);    // the signed-in user's order updates
//   streams.subscribe("auction", "12", (msg) => ...);   // one auction (null: every auction)
//   streams.onStatus((status) => ...);                    // "connecting" | "live" | "offline"
//
// What it guarantees: after a reconnect (exponential back-off with full jitter) every
// subscription is made again; a book is rebuilt from its snapshot and deltas whose `seq` rises
// by exactly one, and a gap (or a snapshot too shallow for what is shown) asks for a fresh
// snapshot; trades follow their own `seq` the same way; the private orders channel resumes
// from its last `seq` (`since_seq`), each message once. Plain JavaScript, no build step.
(function (global) {
  "use strict";

  function defaultUrl() {
    const scheme = global.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + global.location.host + "/ws/";
  }

  // ------------------------------------------------------------------ the book
  // Levels are kept as strings exactly as sent (price -> {qty, orders}); numbers only for sorting.
  function LiveBook(symbol) {
    this.symbol = symbol;
    this.seq = -1;
    this.synced = false;
    this.depth = null;
    this.sides = { buy: new Map(), sell: new Map() };
    this.truncated = { buy: false, sell: false };
  }

  LiveBook.prototype.load = function (snapshot) {
    this.seq = snapshot.seq;
    this.depth = snapshot.depth;
    this.sides.buy = new Map(snapshot.bids.map((l) => [l.price, { qty: l.qty, orders: l.orders }]));
    this.sides.sell = new Map(snapshot.asks.map((l) => [l.price, { qty: l.qty, orders: l.orders }]));
    // A side that filled the requested depth may go deeper than what we were sent.
    this.truncated.buy = snapshot.bids.length >= snapshot.depth;
    this.truncated.sell = snapshot.asks.length >= snapshot.depth;
    this.synced = true;
  };

  // Returns false on a gap: the book can no longer be trusted until a new snapshot.
  LiveBook.prototype.apply = function (delta) {
    if (!this.synced) return true; // waiting for a snapshot
    if (delta.seq <= this.seq) return true; // already in the snapshot
    if (delta.first_seq !== this.seq + 1) {
      this.synced = false;
      return false;
    }
    for (const level of delta.levels) {
      const side = this.sides[level.side];
      if (level.qty === "0") {
        side.delete(level.price);
      } else {
        const known = side.get(level.price);
        const orders = level.orders !== undefined ? level.orders : known ? known.orders : null;
        side.set(level.price, { qty: level.qty, orders: orders });
      }
    }
    this.seq = delta.seq;
    return true;
  };

  // Best first: [{price, qty, orders}], at most `limit`.
  LiveBook.prototype.levels = function (side, limit) {
    const entries = Array.from(this.sides[side].entries());
    entries.sort((a, b) => (side === "buy" ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
    return entries.slice(0, limit).map((e) => ({ price: e[0], qty: e[1].qty, orders: e[1].orders }));
  };

  // True when showing `shown` levels of a truncated side would need levels we were never sent.
  LiveBook.prototype.tooShallow = function (shown) {
    return (
      (this.truncated.buy && this.sides.buy.size < shown) ||
      (this.truncated.sell && this.sides.sell.size < shown)
    );
  };

  // ------------------------------------------------------------------ the client
  function Client(options) {
    options = options || {};
    this.url = options.url || defaultUrl();
    this.baseDelay = options.baseDelay || 500;
    this.maxDelay = options.maxDelay || 30000;
    this.idleTimeout = options.idleTimeout || 60000;
    this.subs = new Map(); // "channel:symbol" -> {channel, symbol, opts, handlers}
    this.books = new Map();
    this.tradeSeq = new Map();
    // The last private `orders` seq seen: resubscribing with it as `since_seq` (after a
    // reconnect, to whichever server answers, or after a gap) replays what was missed.
    this.ordersSeq = null;
    this.ordersResyncing = false;
    this.statusHandlers = [];
    this.errorHandlers = [];
    this.attempt = 0;
    this.ws = null;
    this.status = "offline";
    this.stopped = false;
    this.lastMessageAt = 0;
    this.nextId = 1;
    this.pendingIds = new Map(); // request id -> subscription key, to retry refused subscribes
    this._connect();
    this._keepalive = global.setInterval(() => this._checkAlive(), 15000);
  }

  function keyOf(channel, symbol) {
    return channel + ":" + (symbol || "");
  }

  Client.prototype.onStatus = function (handler) {
    this.statusHandlers.push(handler);
    handler(this.status);
  };

  Client.prototype.onError = function (handler) {
    this.errorHandlers.push(handler);
  };

  Client.prototype.subscribe = function (channel, symbol, handler, opts) {
    symbol = symbol ? String(symbol).toUpperCase() : null;
    const key = keyOf(channel, symbol);
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { channel: channel, symbol: symbol, opts: opts || {}, handlers: new Set() };
      this.subs.set(key, sub);
      this._sendSubscribe(sub);
    }
    sub.handlers.add(handler);
    return () => {
      sub.handlers.delete(handler);
      if (sub.handlers.size === 0) {
        this.subs.delete(key);
        this._send({ action: "unsubscribe", channel: channel, symbol: symbol });
      }
    };
  };

  Client.prototype.close = function () {
    this.stopped = true;
    global.clearInterval(this._keepalive);
    if (this.ws) this.ws.close(1000);
  };

  Client.prototype._setStatus = function (status) {
    if (status === this.status) return;
    this.status = status;
    for (const handler of this.statusHandlers) handler(status);
  };

  Client.prototype._connect = function () {
    if (this.stopped) return;
    this._setStatus("connecting");
    let ws;
    try {
      ws = new global.WebSocket(this.url);
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastMessageAt = Date.now();
      for (const sub of this.subs.values()) this._sendSubscribe(sub);
    };
    ws.onmessage = (event) => {
      this.lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      this._handle(message);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const book of this.books.values()) book.synced = false;
      this.tradeSeq.clear();
      this.ordersResyncing = false;
      this._setStatus("offline");
      this._scheduleReconnect();
    };
    ws.onerror = () => {}; // onclose follows and does the work
  };

  Client.prototype._scheduleReconnect = function () {
    if (this.stopped) return;
    this.attempt += 1;
    // Full jitter: a restarted server is not hit by every open tab in the same instant.
    const ceiling = Math.min(this.maxDelay, this.baseDelay * Math.pow(2, this.attempt));
    global.setTimeout(() => this._connect(), Math.random() * ceiling);
  };

  Client.prototype._checkAlive = function () {
    if (!this.ws || this.ws.readyState !== 1) return;
    if (Date.now() - this.lastMessageAt > this.idleTimeout) {
      this.ws.close(); // half-open: onclose reconnects
      return;
    }
    this._send({ action: "ping" });
  };

  Client.prototype._send = function (message) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false; // sent on (re)connect instead
  };

  Client.prototype._sendSubscribe = function (sub) {
    const id = this.nextId++;
    const message = { action: "subscribe", channel: sub.channel, id: id };
    if (sub.channel === "auction") {
      if (sub.symbol) message.auction_id = Number(sub.symbol);
    } else if (sub.symbol) {
      message.symbol = sub.symbol;
    }
    if (sub.channel === "book" && sub.opts.depth) message.depth = sub.opts.depth;
    if (sub.channel === "orders" && this.ordersSeq !== null) message.since_seq = this.ordersSeq;
    if (this._send(message)) this.pendingIds.set(id, keyOf(sub.channel, sub.symbol));
  };

  Client.prototype._resubscribe = function (channel, symbol) {
    const sub = this.subs.get(keyOf(channel, symbol));
    if (sub) this._sendSubscribe(sub);
  };

  Client.prototype._emit = function (channel, symbol, payload) {
    const sub = this.subs.get(keyOf(channel, symbol));
    if (!sub) return;
    for (const handler of sub.handlers) {
      try {
        handler(payload);
      } catch (e) {
        if (global.console) global.console.error(e);
      }
    }
  };

  Client.prototype._handle = function (m) {
    switch (m.type) {
      case "hello":
        this.attempt = 0; // a working connection resets the back-off
        this._setStatus("live");
        break;
      case "subscribed":
        if (m.id !== undefined) this.pendingIds.delete(m.id);
        break;
      case "book.snapshot": {
        let book = this.books.get(m.symbol);
        if (!book) {
          book = new LiveBook(m.symbol);
          this.books.set(m.symbol, book);
        }
        book.load(m);
        this._emitBook(book);
        break;
      }
      case "book.delta": {
        const book = this.books.get(m.symbol);
        if (!book) break;
        if (!book.apply(m)) {
          this._resubscribe("book", m.symbol); // a gap: start again from a fresh snapshot
          break;
        }
        this._emitBook(book);
        break;
      }
      case "trades.snapshot":
        this.tradeSeq.set(m.symbol, m.seq);
        this._emit("trades", m.symbol, { kind: "snapshot", symbol: m.symbol, seq: m.seq, trades: m.trades, day: m.day });
        break;
      case "trades": {
        const last = this.tradeSeq.get(m.symbol);
        if (last === undefined || m.seq <= last) break;
        if (m.first_seq !== last + 1) {
          this.tradeSeq.delete(m.symbol);
          this._resubscribe("trades", m.symbol);
          break;
        }
        this.tradeSeq.set(m.symbol, m.seq);
        this._emit("trades", m.symbol, { kind: "trades", symbol: m.symbol, seq: m.seq, trades: m.trades, ts: m.ts });
        break;
      }
      case "quote":
        this._emit("quotes", m.symbol, m);
        break;
      case "candle":
        this._emit("candles", m.symbol, m);
        break;
      case "orders.snapshot":
        // What was missed since `since_seq` comes first, oldest first, each once.
        this.ordersResyncing = false;
        if (this.ordersSeq !== null) {
          for (const missed of m.missed || []) {
            if (typeof missed.seq === "number" && missed.seq > this.ordersSeq) {
              this.ordersSeq = missed.seq;
              this._emit("orders", null, missed);
            }
          }
        }
        this.ordersSeq = Math.max(this.ordersSeq || 0, m.seq || 0);
        break;
      case "orders":
      case "auction.standing":
        if (typeof m.seq === "number") {
          if (this.ordersResyncing) break; // the replay asked for brings it
          if (this.ordersSeq !== null && m.seq <= this.ordersSeq) break; // had it already
          if (this.ordersSeq !== null && m.seq > this.ordersSeq + 1) {
            this.ordersResyncing = true; // a gap: the replay after our last seq brings it
            this._resubscribe("orders", null);
            break;
          }
          this.ordersSeq = m.seq;
        }
        this._emit("orders", null, m);
        break;
      case "auction.snapshot":
      case "auction":
        // One auction's subscribers and the index's both get it (the page drops repeats by seq).
        this._emit("auction", m.auction_id === undefined ? null : String(m.auction_id), m);
        this._emit("auction", null, m);
        break;
      case "error":
        this._handleError(m);
        break;
      default:
        break; // pong, unsubscribed, authenticated, and types added later
    }
  };

  Client.prototype._emitBook = function (book) {
    const sub = this.subs.get(keyOf("book", book.symbol));
    const shown = (sub && sub.opts.display) || 10;
    if (book.tooShallow(shown)) {
      book.synced = false;
      this._resubscribe("book", book.symbol);
      return;
    }
    this._emit("book", book.symbol, book);
  };

  Client.prototype._handleError = function (m) {
    const key = m.id !== undefined ? this.pendingIds.get(m.id) : undefined;
    if (key !== undefined) this.pendingIds.delete(m.id);
    // A busy server: try that subscription again shortly rather than going without it.
    if (key !== undefined && (m.code === "unavailable" || m.code === "rate_limited")) {
      global.setTimeout(() => {
        const sub = this.subs.get(key);
        if (sub) this._sendSubscribe(sub);
      }, 1000 + Math.random() * 2000);
    }
    for (const handler of this.errorHandlers) handler(m);
  };

  // The page's one socket, shared by the scripts on it (the live tables, the auctions, the
  // notices every signed-in page shows).
  let sharedClient = null;
  function shared() {
    if (!sharedClient) sharedClient = new Client();
    return sharedClient;
  }

  global.BrokerageStreams = { Client: Client, LiveBook: LiveBook, shared: shared };
})(window);
