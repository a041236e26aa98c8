"""Settling executions: cash and shares between buyer and seller, fees, both ledgers.

`fill_settle` is the one place an execution moves money and shares, whether it comes from the
order book or an auction's close. It works on rows the caller has locked (accounts through
`accounts.services.accounts_lock`, positions through `locks.positions_lock`) and changes them
in memory; the `Ledger` collects the rows to write, so that a transaction writes everything
after every refusal has had its chance, in an order every CHECK constraint accepts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import Account, CashEntry
from accounts.services import accounts_save, cash_move
from core.db import insert_together
from marketdata.models import Stock
from trading.models import Position, ShareEntry, Trade
from trading.pricing import PRICE_UNIT

AVG_COST_UNIT = Decimal("0.00000001")


@dataclass
class CashMove:
    account: Account
    amount: Decimal
    kind: str
    reference: str
    memo: str


@dataclass
class Ledger:
    """The ledger rows of one transaction, written by `write()` once everything is settled."""

    shares: list[ShareEntry] = field(default_factory=list)
    cash: list[CashMove] = field(default_factory=list)

    def share_move(self, position: Position, qty: int, *, reference: str) -> None:
        """Move shares in or out of a locked position, with its ledger row."""
        position.qty += qty
        self.shares.append(
            ShareEntry(
                user_id=position.user_id,
                stock_id=position.stock_id,
                kind=ShareEntry.Kind.TRADE,
                qty=qty,
                balance_after=position.qty,
                reference=reference,
            )
        )

    def write(
        self,
        accounts: Mapping[int, Account],
        before: Mapping[int, tuple[Decimal, Decimal]],
        trades: Sequence[Trade] = (),
    ) -> None:
        """Apply the cash moves to the locked `accounts`, write each changed account once
        (cash and reservation, against `before` from `accounts.services.balances`), then the
        transaction's trades and both ledgers' entries: one insert on PostgreSQL."""
        entries = [
            cash_move(
                account=move.account,
                amount=move.amount,
                kind=move.kind,
                reference=move.reference,
                memo=move.memo,
            )
            for move in self.cash
        ]
        accounts_save(accounts, before)
        insert_together([self.shares, entries, trades])


@dataclass(frozen=True)
class Party:
    """One side of an execution: its locked account and its locked position in the stock."""

    account: Account
    position: Position


def fill_settle(
    *,
    stock: Stock,
    reference: str,
    price: Decimal,
    qty: int,
    buyer: Party,
    seller: Party,
    buyer_fee: Decimal,
    seller_fee: Decimal,
    house: Account | None,
    ledger: Ledger,
) -> None:
    """Settle one execution of `qty` shares at `price` (in memory; `ledger` writes it).

    The seller's shares come out of their reservation. The buyer's cash reservation belongs
    to whatever reserved it (an order, a bid): the caller releases it.
    """
    notional = price * qty
    ledger.cash.append(
        CashMove(
            buyer.account,
            -notional,
            CashEntry.Kind.TRADE,
            reference,
            f"Bought {qty} {stock.symbol} @ {price}",
        )
    )
    ledger.cash.append(
        CashMove(
            seller.account,
            notional,
            CashEntry.Kind.TRADE,
            reference,
            f"Sold {qty} {stock.symbol} @ {price}",
        )
    )
    for payer, amount in ((buyer.account, buyer_fee), (seller.account, seller_fee)):
        if amount:
            assert house is not None, "a fee needs the house account locked"
            ledger.cash.append(
                CashMove(payer, -amount, CashEntry.Kind.FEE, reference, "Trading fee")
            )
            ledger.cash.append(
                CashMove(
                    house, amount, CashEntry.Kind.FEE, reference, f"Fee from {payer.account_number}"
                )
            )
    # Average cost includes no fees; realized P&L is against the seller's average cost.
    bought = buyer.position
    bought.avg_cost = ((bought.avg_cost * bought.qty + notional) / (bought.qty + qty)).quantize(
        AVG_COST_UNIT
    )
    ledger.share_move(bought, qty, reference=reference)
    sold = seller.position
    sold.realized_pl += ((price - sold.avg_cost) * qty).quantize(PRICE_UNIT)
    sold.reserved_qty -= qty
    ledger.share_move(sold, -qty, reference=reference)
    if sold.qty == 0:
        sold.avg_cost = Decimal("0")
