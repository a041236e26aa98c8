"""Auctions REST API under /api/v1/auctions: list, detail, bid history, bid, your bids,
create (sell shares you hold), cancel. Money is strings; errors have the one shape."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import BodyInput, QueryParams
from core.api_output import Output
from core.times import rfc3339
from trading.apis import PriceField, QtyField, _amount
from trading.auctions import selectors
from trading.auctions.messages import auction_payload
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.close import auction_cancel
from trading.auctions.services.create import auction_create


class AuctionOutput(Output):
    id = serializers.IntegerField()
    symbol = serializers.CharField()
    qty = serializers.CharField()
    status = serializers.CharField()
    current_price = serializers.CharField(allow_null=True)
    start_price = serializers.CharField()
    min_next_bid = serializers.CharField(allow_null=True)
    bid_count = serializers.IntegerField()
    reserve_met = serializers.BooleanField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    original_ends_at = serializers.DateTimeField()
    extended = serializers.BooleanField()
    closed_at = serializers.DateTimeField(allow_null=True)
    sold_price = serializers.CharField(allow_null=True)
    seq = serializers.IntegerField()
    server_time = serializers.DateTimeField()
    my_standing = serializers.CharField(allow_null=True)


def _auction(auction, request) -> dict:
    return {
        **auction_payload(auction),
        "server_time": rfc3339(timezone.now()),
        "my_standing": selectors.my_standing(auction=auction, user=request.user),
    }


class BidOutput(Output):
    bidder = serializers.CharField()
    price = _amount(allow_null=True)
    max_price = _amount(allow_null=True)
    status = serializers.CharField()
    placed_at = serializers.DateTimeField()


class MyBidOutput(Output):
    id = serializers.IntegerField()
    auction_id = serializers.IntegerField()
    symbol = serializers.CharField(source="auction.stock.symbol")
    max_price = _amount(allow_null=True)
    price = _amount(allow_null=True)
    reserved_cash = _amount()
    status = serializers.CharField()
    reason = serializers.CharField()
    placed_at = serializers.DateTimeField()


class AuctionListParams(QueryParams):
    status = serializers.ChoiceField(
        choices=["live", "ended", "all", "scheduled", "open", "closed", "no_sale", "canceled"],
        default="live",
    )
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class MyBidListParams(QueryParams):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class AuctionCreateInput(BodyInput):
    """A lot of your shares offered for auction."""

    symbol = serializers.CharField(max_length=16)
    qty = QtyField()
    reserve_price = PriceField()
    start_price = PriceField(required=False, allow_null=True)
    duration_seconds = serializers.IntegerField(min_value=10, max_value=30 * 86400, required=False)
    increment_rule = serializers.ChoiceField(choices=["ladder", "fixed"], default="ladder")
    fixed_increment = PriceField(required=False, allow_null=True)


class AuctionsApi(APIView):
    @extend_schema(
        parameters=[AuctionListParams],
        responses=AuctionOutput(many=True),
        operation_id="auctions_list",
    )
    def get(self, request):
        """Auctions: live (default), ended, all, or one status."""
        params = AuctionListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = selectors.auctions_list(status=params.validated_data["status"])
        return Response([_auction(a, request) for a in found[: params.validated_data["limit"]]])

    @extend_schema(
        request=AuctionCreateInput, responses={201: AuctionOutput}, operation_id="auction_create"
    )
    def post(self, request):
        """Sell a lot of shares you hold: symbol, qty, reserve_price, start_price, duration_seconds."""
        data = AuctionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        auction = auction_create(seller=request.user, **data.validated_data)
        return Response(_auction(auction, request), status=status.HTTP_201_CREATED)


class AuctionDetailApi(APIView):
    @extend_schema(responses=AuctionOutput, operation_id="auction_get")
    def get(self, request, auction_id: str):
        return Response(_auction(selectors.auction_get(auction_id=auction_id), request))

    @extend_schema(responses={200: AuctionOutput}, operation_id="auction_cancel")
    def delete(self, request, auction_id: str):
        """Cancel your auction before its first bid."""
        auction = auction_cancel(auction_id=auction_id, user=request.user)
        return Response(_auction(auction, request))


class BidInput(BodyInput):
    """A bid: your maximum per share for the whole lot."""

    max_price = PriceField(help_text="Your maximum price per share.")


class AuctionBidsApi(APIView):
    @extend_schema(responses=BidOutput(many=True), operation_id="auction_bids")
    def get(self, request, auction_id: str):
        """The bid history: bidders masked as "bidder N", except you."""
        auction = selectors.auction_get(auction_id=auction_id)
        history = selectors.auction_bid_history(auction=auction, viewer=request.user)
        return Response(BidOutput(history, many=True).data)

    @extend_schema(request=BidInput, responses={201: MyBidOutput}, operation_id="auction_bid")
    def post(self, request, auction_id: str):
        """Bid your maximum per share (proxy bidding: you stand at the lowest winning price)."""
        data = BidInput(data=request.data)
        data.is_valid(raise_exception=True)
        bid = auction_bid_place(
            user=request.user, auction_id=auction_id, max_price=data.validated_data["max_price"]
        )
        return Response(MyBidOutput(bid).data, status=status.HTTP_201_CREATED)


class MyBidsApi(APIView):
    @extend_schema(
        parameters=[MyBidListParams],
        responses=MyBidOutput(many=True),
        operation_id="auction_my_bids",
    )
    def get(self, request):
        """Your bids on every auction, newest first."""
        params = MyBidListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        bids = selectors.bids_for(user=request.user, **params.validated_data)
        return Response(MyBidOutput(bids, many=True).data)
