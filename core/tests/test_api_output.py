"""core.api_output.Output: fields built once per class answer every object as DRF would."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rest_framework import serializers

from core.api_output import Output


class _Plain(serializers.Serializer):
    name = serializers.CharField()
    shares = serializers.IntegerField()
    kind = serializers.SerializerMethodField()

    def get_kind(self, item) -> str:
        return "big" if item["shares"] > 100 else "small"


class _Once(Output):
    name = serializers.CharField()
    shares = serializers.IntegerField()
    kind = serializers.SerializerMethodField()

    def get_kind(self, item) -> str:
        return "big" if item["shares"] > 100 else "small"


ITEMS = [{"name": f"lot {i}", "shares": i * 7} for i in range(60)]


def test_answers_equal_drfs_and_the_fields_are_built_once():
    assert [_Once(item).data for item in ITEMS] == [_Plain(item).data for item in ITEMS]
    assert _Once(ITEMS[0]).fields is _Once(ITEMS[1]).fields
    assert _Once(ITEMS, many=True).data == _Plain(ITEMS, many=True).data


def test_threads_sharing_the_fields_each_get_their_own_answer():
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda item: dict(_Once(item).data), ITEMS * 20))
    assert answers == [dict(_Plain(item).data) for item in ITEMS * 20]
