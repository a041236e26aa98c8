"""The `brokerage` command's commands, one function each, registered with `@command`."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from client import format as fmt
from client.api import TIME_IN_FORCE, Client, ClientError
from client.config import ENV_KEY_ID, ENV_SECRET, Config, config_path, read_file, write_file
from client.registry import EXIT_OK, Context, arg, command, count, price, quantity, symbol


def _ask(prompt: str, secret: bool = False) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt) if secret else input(prompt)
    return sys.stdin.readline().strip()  # piped in: one value a line, nothing echoed


@command(
    "login",
    "check an API key against the server and save it (0600) for the other commands",
    arg("--key-id", help="the key id (BK...); asked for when not given"),
    arg("--secret-key", help="the secret; asked for (not echoed) when not given"),
    needs_key=False,
)
def cmd_login(args, ctx: Context) -> int:
    url = ctx.config.base_url
    # The saved key is not reused: logging in is how a key is changed.
    key_id = args.key_id or os.environ.get(ENV_KEY_ID, "").strip() or _ask("API key id: ")
    secret = args.secret_key or os.environ.get(ENV_SECRET, "").strip()
    secret = (secret or _ask("API secret key: ", secret=True)).strip()
    if not key_id.strip() or not secret:
        raise ClientError("login needs a key id and a secret key", kind="usage")
    account = Client(url, key_id.strip(), secret).account()
    path = write_file(Config(url, key_id.strip(), secret))
    ctx.emit(
        {"url": url, "account_number": account["account_number"], "config": str(path)},
        f"logged in to {url}: account {account['account_number']}, "
        f"cash {fmt.money(account['cash'])}; saved to {path}",
    )
    return EXIT_OK


@command("logout", "forget the saved API key", needs_key=False)
def cmd_logout(args, ctx: Context) -> int:
    path = config_path()
    saved = read_file(path)
    if path.exists():
        write_file(Config(saved.base_url), path)
    ctx.emit({"config": str(path)}, f"the API key is removed from {path}")
    return EXIT_OK


@command(
    "quote", "reference price, change and best bid/ask", arg("symbols", nargs="+", type=symbol)
)
def cmd_quote(args, ctx: Context) -> int:
    quotes = [ctx.client.quote(s) for s in args.symbols]

    def text() -> str:
        rows = [
            [
                q["symbol"],
                fmt.money(q["price"]),
                fmt.signed(q["change"]),
                fmt.pct(q["change_pct"]),
                fmt.money(q["bid"]),
                fmt.qty(q["bid_size"]),
                fmt.money(q["ask"]),
                fmt.qty(q["ask_size"]),
                f"{q['volume']:,}",
                "halted" if not q["tradable"] else ("stale" if q["stale"] else ""),
            ]
            for q in quotes
        ]
        headers = ["symbol", "price", "change", "%", "bid", "size", "ask", "size", "volume", ""]
        return fmt.table(headers, rows, right={1, 2, 3, 4, 5, 6, 7, 8})

    ctx.emit(quotes, text)
    return EXIT_OK


@command(
    "book",
    "the order book, aggregated by price",
    arg("symbol", type=symbol),
    arg("--depth", type=count, default=10, help="levels a side (default 10)"),
)
def cmd_book(args, ctx: Context) -> int:
    book = ctx.client.book(args.symbol, depth=args.depth)
    ctx.emit(book, lambda: fmt.book_ladder(book, args.depth))
    return EXIT_OK


@command(
    "trades",
    "the latest trades, newest first",
    arg("symbol", type=symbol),
    arg("--limit", type=count, default=20, help="how many (default 20)"),
)
def cmd_trades(args, ctx: Context) -> int:
    trades = ctx.client.trades(args.symbol, limit=args.limit)

    def text() -> str:
        if not trades:
            return f"no trades in {args.symbol} yet"
        rows = [
            [
                fmt.clock(iso=t["executed_at"]),
                fmt.money(t["price"]),
                fmt.qty(t["qty"]),
                t["taker_side"],
                str(t["seq"]),
            ]
            for t in trades
        ]
        return fmt.table(["time", "price", "qty", "taker", "seq"], rows, right={1, 2, 4})

    ctx.emit(trades, text)
    return EXIT_OK


@command("account", "cash, reserved cash, buying power and equity")
def cmd_account(args, ctx: Context) -> int:
    account = ctx.client.account()
    names: list[tuple[str, str, Callable[[Any], str]]] = [
        ("account", "account_number", str),
        ("cash", "cash", fmt.money),
        ("reserved cash", "reserved_cash", fmt.money),
        ("buying power", "buying_power", fmt.money),
        ("long market value", "long_market_value", fmt.money),
        ("equity", "equity", fmt.money),
        ("open orders", "open_orders", str),
    ]
    width = max(len(label) for label, _, _ in names)
    ctx.emit(
        account,
        lambda: "\n".join(
            f"{label.ljust(width)}  {show(account[key])}" for label, key, show in names
        ),
    )
    return EXIT_OK


@command("positions", "your positions at the reference price")
def cmd_positions(args, ctx: Context) -> int:
    positions = ctx.client.positions()

    def text() -> str:
        if not positions:
            return "no positions"
        rows = [
            [
                p["symbol"],
                fmt.qty(p["qty"]),
                fmt.qty(p["qty_available"]),
                fmt.money(p["avg_entry_price"]),
                fmt.money(p["current_price"]),
                fmt.money(p["market_value"]),
                fmt.signed(p["unrealized_pl"]),
                fmt.signed(p["realized_pl"]),
            ]
            for p in positions
        ]
        headers = ["symbol", "qty", "free", "avg cost", "price", "value", "unrealized", "realized"]
        return fmt.table(headers, rows, right={1, 2, 3, 4, 5, 6, 7})

    ctx.emit(positions, text)
    return EXIT_OK


@command(
    "orders",
    "your orders, newest first",
    arg("--status", choices=["open", "closed", "all"], default="open", help="default open"),
    arg("--symbol", type=symbol, action="append", dest="symbols", help="only this (repeatable)"),
    arg("--limit", type=count, default=50, help="at most this many (default 50)"),
)
def cmd_orders(args, ctx: Context) -> int:
    orders = ctx.client.orders(status=args.status, symbols=args.symbols, limit=args.limit)
    ctx.emit(orders, lambda: fmt.orders_table(orders) or f"no {args.status} orders")
    return EXIT_OK


def _order_arguments():
    return (
        arg("symbol", type=symbol),
        arg("qty", type=quantity),
        arg("--limit", type=price, dest="limit_price", help="limit price (else a market order)"),
        arg("--tif", choices=TIME_IN_FORCE, default="day", help="time in force (default day)"),
        arg("--client-order-id", help="your own id for the order"),
    )


def _place(side: str, args, ctx: Context) -> int:
    order = ctx.client.place_order(
        symbol=args.symbol,
        qty=args.qty,
        side=side,
        limit_price=args.limit_price,
        time_in_force=args.tif,
        client_order_id=args.client_order_id,
    )
    ctx.emit(order, fmt.order_line(order))
    return EXIT_OK


@command("buy", "place a buy order", *_order_arguments())
def cmd_buy(args, ctx: Context) -> int:
    return _place("buy", args, ctx)


@command("sell", "place a sell order", *_order_arguments())
def cmd_sell(args, ctx: Context) -> int:
    return _place("sell", args, ctx)


@command(
    "cancel",
    "cancel an open order, or all of them",
    one_of=[
        (
            arg("order_id", nargs="?", help="the order's id"),
            arg("--all", action="store_true", help="every open order"),
        )
    ],
)
def cmd_cancel(args, ctx: Context) -> int:
    if args.all:
        canceled = ctx.client.cancel_all()
        ctx.emit(canceled, f"canceled {len(canceled)} order{'s' if len(canceled) != 1 else ''}")
    else:
        ctx.client.cancel(args.order_id)
        ctx.emit({"id": args.order_id, "status": "canceled"}, f"canceled {args.order_id}")
    return EXIT_OK


@command(
    "replace",
    "replace an open order with a new qty, limit or time in force (priority is lost)",
    arg("order_id"),
    arg("--qty", type=quantity),
    arg("--limit", type=price, dest="limit_price"),
    arg("--tif", choices=TIME_IN_FORCE),
)
def cmd_replace(args, ctx: Context) -> int:
    if args.qty is None and args.limit_price is None and args.tif is None:
        raise ClientError("replace needs at least one of --qty, --limit, --tif", kind="usage")
    order = ctx.client.replace(
        args.order_id, qty=args.qty, limit_price=args.limit_price, time_in_force=args.tif
    )
    ctx.emit(order, f"replaced by {fmt.order_line(order)}")
    return EXIT_OK


@command(
    "fills",
    "your executions, newest first",
    arg("--symbol", type=symbol),
    arg("--limit", type=count, default=50),
)
def cmd_fills(args, ctx: Context) -> int:
    fills = ctx.client.fills(limit=args.limit, symbol=args.symbol)

    def text() -> str:
        if not fills:
            return "no fills"
        rows = [
            [
                fmt.clock(iso=f["transaction_time"]),
                f["symbol"],
                f["side"],
                fmt.qty(f["qty"]),
                fmt.money(f["price"]),
                fmt.money(f["fee"]),
                f["liquidity"],
            ]
            for f in fills
        ]
        return fmt.table(["time", "symbol", "side", "qty", "price", "fee", "liq"], rows, {3, 4, 5})

    ctx.emit(fills, text)
    return EXIT_OK


@command(
    "auctions",
    "live auctions (or --status ended|all): price, bids, reserve, time left, your standing",
    arg("--status", choices=["live", "ended", "all"], default="live"),
)
def cmd_auctions(args, ctx: Context) -> int:
    auctions = ctx.client.auctions(status=args.status)

    def text() -> str:
        if not auctions:
            return f"no {args.status} auctions"
        rows = [
            [
                str(a["id"]),
                a["symbol"],
                fmt.qty(a["qty"]),
                fmt.money(a["current_price"]) if a["current_price"] else "-",
                str(a["bid_count"]),
                "met" if a["reserve_met"] else "not met",
                a["status"],
                fmt.clock(iso=a["ends_at"]),
                a.get("my_standing") or "",
            ]
            for a in auctions
        ]
        headers = ["id", "symbol", "lot", "price", "bids", "reserve", "status", "ends", "you"]
        return fmt.table(headers, rows, right={0, 2, 3, 4})

    ctx.emit(auctions, text)
    return EXIT_OK


@command(
    "bid",
    "bid your maximum price per share on an auction (proxy bidding)",
    arg("auction_id", type=count),
    arg("max_price", type=price),
)
def cmd_bid(args, ctx: Context) -> int:
    bid = ctx.client.bid(args.auction_id, args.max_price)
    standing = "leading" if bid["status"] == "leading" else "outbid at once"
    ctx.emit(
        bid,
        f"bid {bid['id']} on auction {args.auction_id}: {standing} at {fmt.money(bid['price'])}",
    )
    return EXIT_OK


@command(
    "watch",
    "stream quotes, trades, top of book and your own orders and fills, until Ctrl-C",
    arg("symbols", nargs="+", type=symbol),
    arg("--no-orders", action="store_true", help="do not stream your own orders"),
    needs_key=False,
)
def cmd_watch(args, ctx: Context) -> int:
    from client.watch import watch

    try:
        asyncio.run(watch(ctx.config, args.symbols, as_json=ctx.as_json, orders=not args.no_orders))
    except KeyboardInterrupt:
        return 130
    return EXIT_OK


@command(
    "tui",
    "a live full-screen view: book ladder, tape, sparkline, orders, positions, ticket",
    arg("symbol", type=symbol),
)
def cmd_tui(args, ctx: Context) -> int:
    from client.tui import run_tui

    return run_tui(ctx.client, args.symbol)
