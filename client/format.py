"""Plain-text rendering of the server's answers and stream messages, for the terminal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def money(value: str | Decimal | None, places: int = 2) -> str:
    """A price or amount with at least `places` decimals, more when the value has them."""
    if value is None or value == "":
        return "-"
    number = Decimal(value).normalize()
    exponent = number.as_tuple().exponent
    shown = max(places, -exponent) if isinstance(exponent, int) else places
    return f"{number:,.{shown}f}"


def qty(value: str | Decimal | None) -> str:
    if value is None or value == "":
        return "-"
    number = Decimal(value)
    return f"{number.normalize():,f}" if number != number.to_integral() else f"{number:,.0f}"


def pct(value: str | Decimal | None) -> str:
    if value is None or value == "":
        return "-"
    return f"{Decimal(value):+.2f}%"


def signed(value: str | Decimal | None) -> str:
    if value is None or value == "":
        return "-"
    number = Decimal(value)
    return ("+" if number > 0 else "") + money(number)


def clock(ts_ms: float | None = None, iso: str | None = None) -> str:
    """HH:MM:SS.mmm in local time, from epoch milliseconds or an ISO 8601 time."""
    if iso:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    elif ts_ms is not None:
        moment = datetime.fromtimestamp(ts_ms / 1000).astimezone()
    else:
        moment = datetime.now().astimezone()
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """Columns padded to their widest cell; `right` holds the indexes of numeric columns."""
    if not rows:
        return ""
    right = right or set()
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def order_line(order: dict) -> str:
    """One order in one line: what it asked for and where it stands."""
    price = f" @ {money(order['limit_price'])}" if order.get("limit_price") else " market"
    text = (
        f"{order['side']} {qty(order['qty'])} {order['symbol']}{price} "
        f"{order['time_in_force']}: {order['status']}"
    )
    if order.get("filled_qty") and Decimal(order["filled_qty"]) > 0:
        text += f", filled {qty(order['filled_qty'])} @ {money(order['filled_avg_price'])}"
    if order.get("reason"):
        text += f" ({order['reason']})"
    return f"{text}  id {order['id']}"


def orders_table(orders: list[dict]) -> str:
    rows = [
        [
            o["id"],
            o["symbol"],
            o["side"],
            o.get("type") or o.get("order_type", ""),
            qty(o["qty"]),
            qty(o["filled_qty"]),
            money(o["limit_price"]) if o.get("limit_price") else "-",
            o["time_in_force"],
            o["status"],
        ]
        for o in orders
    ]
    headers = ["id", "symbol", "side", "type", "qty", "filled", "limit", "tif", "status"]
    return table(headers, rows, right={4, 5, 6})


def book_ladder(book: dict, depth: int = 10) -> str:
    """Asks above (best at the bottom), bids below (best at the top), as a trader reads it."""
    asks = list(reversed(book["asks"][:depth]))
    bids = book["bids"][:depth]
    rows = [["", "", money(a["price"]), qty(a["qty"]), str(a["orders"])] for a in asks]
    rows += [[str(b["orders"]), qty(b["qty"]), money(b["price"]), "", ""] for b in bids]
    if not rows:
        return f"{book['symbol']}: the book is empty (seq {book['seq']})"
    ladder = table(["orders", "bid", "price", "ask", "orders"], rows, right={0, 1, 2, 3, 4})
    return f"{book['symbol']} book, seq {book['seq']}\n{ladder}"
