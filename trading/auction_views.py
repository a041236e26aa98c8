"""Auction pages: the list of live auctions, one auction with its bid form, your auctions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from core import words
from core.forms import form_add_domain_error
from trading import selectors
from trading.demo import security_codes
from trading.errors import TradingError
from trading.forms import BidForm
from trading.services.auctions import auction_bid_place, min_next_bid


def _standings(auctions, user) -> None:
    codes = security_codes()
    for auction in auctions:
        auction.standing = selectors.my_standing(auction=auction, user=user)
        auction.security = codes.get(auction.stock.symbol)
        if auction.is_live:
            auction.min_next = min_next_bid(auction)


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
                bid = auction_bid_place(
                    user=request.user,
                    auction_id=auction.pk,
                    max_price=form.cleaned_data["max_price"],
                )
            except TradingError as exc:
                form_add_domain_error(form, exc)
                auction.refresh_from_db()
            else:
                if bid.status == "leading" and bid.price is not None:
                    at = words.price(bid.price, auction.stock.tick_size)
                    messages.success(request, f"You lead at {at} a share.")
                else:
                    messages.warning(
                        request, "Another bidder's maximum is higher: you were outbid."
                    )
                return redirect("auction", auction_id=auction.pk)
    _standings([auction], request.user)
    if auction.is_live and not form.is_bound:
        minimum = min_next_bid(auction).quantize(auction.stock.tick_size.normalize())
        form = BidForm(initial={"max_price": minimum})
    return render(
        request,
        "trading/auction.html",
        {
            "auction": auction,
            "form": form,
            "history": selectors.auction_bid_history(auction=auction, viewer=request.user)[:50],
            "server_time": timezone.now(),
            "summary": selectors.account_summary(user=request.user)
            if request.user.is_authenticated
            else None,
        },
    )


@login_required
def my_auctions(request):
    """Your bids and the lots you sell."""
    bids = list(selectors.bids_for(user=request.user, limit=200))
    selling = list(request.user.auctions_selling.select_related("stock").order_by("-ends_at")[:100])
    return render(request, "trading/my_auctions.html", {"bids": bids, "selling": selling})
