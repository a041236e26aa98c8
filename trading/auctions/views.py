"""Auction pages: the list of live auctions, one auction with its bid form, your auctions."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from core import words
from core.forms import form_add_domain_error
from marketdata.securities import security_codes
from trading import selectors as trading_selectors
from trading.auctions import rules, selectors
from trading.auctions.services.bids import auction_bid_place
from trading.errors import TradingError
from trading.forms import BidForm
from trading.models import Auction
from trading.pricing import reservation


def _standings(auctions, user) -> None:
    codes = security_codes()
    for auction in auctions:
        auction.standing = selectors.my_standing(auction=auction, user=user)
        auction.security = codes.get(auction.stock.symbol)
        if auction.is_live:
            auction.min_next = _min_next_bid(auction)


def auctions_list(request):
    """Live auctions, ending soonest first, and the latest results."""
    live = list(selectors.auctions_list(status="live")[:100])
    ended = list(selectors.auctions_list(status="ended")[:10])
    _standings(live + ended, request.user)
    return render(
        request,
        "trading/auctions.html",
        {"live": live, "ended": ended, "server_time": timezone.now()},
    )


def auction_detail(request, auction_id: int):
    """One auction: live price and countdown, the bid history, the bid form."""
    try:
        auction = selectors.auction_get(auction_id=auction_id)
    except TradingError:
        raise Http404("No such auction.") from None
    form = BidForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={request.path}")
        if form.is_valid():
            try:
                auction_bid_place(
                    user=request.user,
                    auction_id=auction.pk,
                    max_price=form.cleaned_data["max_price"],
                )
            except TradingError as exc:
                form_add_domain_error(form, exc)
                auction = selectors.auction_get(auction_id=auction.pk)  # as the refusal left it
            else:
                # What happened is said by the page's one status area, from the state.
                return redirect("auction", auction_id=auction.pk)
    _standings([auction], request.user)
    if auction.is_live and not form.is_bound:
        minimum = _min_next_bid(auction).quantize(auction.stock.tick_size.normalize())
        form = BidForm(initial={"max_price": minimum})
    return render(
        request,
        "trading/auction.html",
        {
            **_live_context(auction, request.user),
            "form": form,
            "server_time": timezone.now(),
            "summary": trading_selectors.account_summary(user=request.user)
            if request.user.is_authenticated
            else None,
        },
    )


def auction_live(request, auction_id: int):
    """The auction page's status area and bid history as they stand now: the page swaps them
    in whenever its streams say the auction or the user's standing moved."""
    try:
        auction = selectors.auction_get(auction_id=auction_id)
    except TradingError:
        raise Http404("No such auction.") from None
    _standings([auction], request.user)
    return render(request, "trading/_auction_live.html", _live_context(auction, request.user))


def _live_context(auction: Auction, user) -> dict:
    my_max = selectors.auction_my_max(auction=auction, user=user)
    return {
        "auction": auction,
        "history": selectors.auction_bid_ladder(auction=auction, viewer=user)[:50],
        "my_max": my_max,
        "status_line": status_line(auction, getattr(auction, "standing", None), my_max),
    }


def status_line(auction: Auction, standing: str | None, my_max: Decimal | None) -> str:
    """The one sentence that says where the user stands, from the auction's state now."""
    tick = auction.stock.tick_size
    price = auction.current_price
    at = words.price(price, tick) if price is not None else None
    held = words.dollars(reservation(my_max, auction.qty)) if my_max is not None else None
    if standing == "seller":
        if auction.status == Auction.Status.CLOSED:
            return f"Your lot sold at {at} a share."
        return "You are selling this lot."
    if standing == "leading" and auction.is_live and my_max is not None:
        return f"You lead at {at} a share. Your maximum: {words.price(my_max, tick)}."
    if standing == "outbid" and auction.is_live:
        minimum = words.price(_min_next_bid(auction), tick)
        return (
            f"You were outbid: another bidder's maximum is higher; the price is {at} a share. "
            f"The {held} held for your bid is back in your buying power. Bid {minimum} or "
            "more to lead."
        )
    if standing in ("won", "leading") and auction.status == Auction.Status.CLOSED and price:
        total = words.dollars(price * auction.qty)
        return (
            f"You won: {words.shares(auction.qty, auction.stock.symbol)} at {at} a share, "
            f"{total} in all. They are in your portfolio."
        )
    if standing in ("lost", "outbid") and auction.status == Auction.Status.CLOSED:
        return (
            f"You lost: sold to another bidder at {at} a share. The {held} held for your bid "
            "is back in your buying power."
        )
    if standing and auction.status == Auction.Status.NO_SALE:
        return "No sale: the reserve was not met. The cash held for your bid is released."
    if standing and auction.status == Auction.Status.CANCELED:
        return "The auction was canceled. The cash held for your bid is released."
    return ""


@login_required
def my_auctions(request):
    """Your bids and the lots you sell."""
    bids = list(selectors.bids_for(user=request.user, limit=200))
    selling = list(selectors.auctions_selling(user=request.user, limit=100))
    return render(request, "trading/my_auctions.html", {"bids": bids, "selling": selling})


def _min_next_bid(auction: Auction) -> Decimal:
    return rules.min_next_bid(auction.terms, auction.current_price)
