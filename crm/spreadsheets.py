"""CSV files people open in a spreadsheet: streamed row by row (100,000 cases in constant memory), UTF-8
with a byte order mark so Excel reads names in any script, and every cell that a spreadsheet would run as a
formula made plain text (OWASP "CSV injection": a customer can type `=HYPERLINK(…)` into a complaint)."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> str:
    """The cell as text; one that starts like a formula gets a leading apostrophe (shown, never run)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """What csv.writer writes to: hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralised(cell) for cell in row])


def csv_download(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
