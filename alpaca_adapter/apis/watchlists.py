"""`/v2/watchlists`: named lists of assets, by id or by name."""

from __future__ import annotations

from rest_framework.response import Response

from alpaca_adapter import selectors as alpaca_selectors
from alpaca_adapter.apis.base import AlpacaApi
from alpaca_adapter.parsing import invalid
from alpaca_adapter.presenters import watchlist_json
from trading import selectors
from trading.models import Watchlist
from trading.services import watchlists


def _account_id(user):
    return selectors.account_summary(user=user)["account"].id


class WatchlistsApi(AlpacaApi):
    def get(self, request):
        account_id = _account_id(request.user)
        lists = alpaca_selectors.watchlists_of(user=request.user)
        return Response([watchlist_json(w, account_id) for w in lists])

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        watchlist = watchlists.watchlist_create(
            user=request.user, name=data.get("name"), symbols=data.get("symbols") or []
        )
        return Response(watchlist_json(watchlist, _account_id(request.user)))


class WatchlistApi(AlpacaApi):
    """One watchlist by its id: read, replace (PUT), add a symbol (POST), delete."""

    def _target(self, request, watchlist_id: str | None) -> Watchlist:
        return alpaca_selectors.watchlist_get(user=request.user, watchlist_id=str(watchlist_id))

    def get(self, request, watchlist_id: str | None = None):
        watchlist = self._target(request, watchlist_id)
        return Response(watchlist_json(watchlist, _account_id(request.user)))

    def put(self, request, watchlist_id: str | None = None):
        data = request.data if isinstance(request.data, dict) else {}
        watchlist = watchlists.watchlist_update(
            watchlist=self._target(request, watchlist_id),
            name=data.get("name"),
            symbols=data.get("symbols"),
        )
        return Response(watchlist_json(watchlist, _account_id(request.user)))

    def post(self, request, watchlist_id: str | None = None):
        """Add one symbol."""
        data = request.data if isinstance(request.data, dict) else {}
        watchlist = watchlists.watchlist_add(
            watchlist=self._target(request, watchlist_id), symbol=data.get("symbol")
        )
        return Response(watchlist_json(watchlist, _account_id(request.user)))

    def delete(self, request, watchlist_id: str | None = None):
        watchlists.watchlist_delete(watchlist=self._target(request, watchlist_id))
        return Response(status=204)


class WatchlistByNameApi(WatchlistApi):
    """The same operations on `watchlists:by_name?name=...` (names are unique per user)."""

    def _target(self, request, watchlist_id: str | None) -> Watchlist:
        name = request.query_params.get("name", "")
        if not name.strip():
            raise invalid("name", "name is required")
        return alpaca_selectors.watchlist_by_name(user=request.user, name=name)


class WatchlistSymbolApi(AlpacaApi):
    def delete(self, request, watchlist_id: str, symbol: str):
        watchlist = watchlists.watchlist_remove(
            watchlist=alpaca_selectors.watchlist_get(user=request.user, watchlist_id=watchlist_id),
            symbol=symbol,
        )
        return Response(watchlist_json(watchlist, _account_id(request.user)))
