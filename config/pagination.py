"""Pagination that stops counting at a cap: a search matching 10,000 customers shows its first
page without counting them all (the count, not the page, was most of the time)."""

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows; `capped` says there are more. Pages stop at the cap."""

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()  # type: ignore[attr-defined]  # a QuerySet here

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP


class CappedCountPagination(PageNumberPagination):
    """`count` stops at COUNT_CAP; `count_capped` is true when there are more (refine the search)."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        paginator = self.page.paginator if self.page is not None else None
        response.data["count_capped"] = isinstance(paginator, CappedPaginator) and paginator.capped
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count_capped"] = {"type": "boolean"}
        return paginated
