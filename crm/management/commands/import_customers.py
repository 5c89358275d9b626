"""python manage.py import_customers FILE.csv

Upsert customers by email. The header names customer fields (full_name, title, email, ...).
Every row is checked with the same rules as the API (crm.customers.services.customers_import); a
bad row is reported by line number and reason and changes nothing, good rows land. Rows are written
in chunks with bulk inserts and updates, so 100,000 rows take seconds, not minutes.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from crm.customers.services import customers_import
from crm.validation import EDITABLE_FIELDS

# Rows per transaction: large enough for bulk statements to pay off, small enough to keep locks short.
CHUNK_SIZE = 2000


class Command(BaseCommand):
    help = "Import customers from a CSV file (upsert by email), reporting each bad row by line number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            handle = open(options["file"], "rb")  # noqa: SIM115 - closed by the with below
        except OSError as error:
            raise CommandError(f"Cannot open {options['file']}: {error.strerror}") from error
        report = ImportReport(self.stderr, verbosity=options["verbosity"])
        with handle:
            reader = csv.reader(decoded_lines(handle, report))
            try:
                header = [name.strip() for name in next(reader)]
            except StopIteration as error:
                raise CommandError("The file is empty.") from error
            except csv.Error as error:
                raise CommandError(f"Line 1: cannot read the header ({error}).") from error
            unknown = [name for name in header if name not in EDITABLE_FIELDS]
            if unknown:
                raise CommandError(
                    f"Unknown columns: {', '.join(unknown)}. Known columns: {', '.join(EDITABLE_FIELDS)}."
                )
            if "full_name" not in header or "email" not in header:
                raise CommandError("The header must name at least full_name and email (rows are matched by email).")

            chunk: list[tuple[int, dict]] = []
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    report.bad(reader.line_num, f"unreadable CSV ({error})")
                    continue
                if not row:
                    continue  # a blank line, or a line already reported as not UTF-8
                if len(row) != len(header):
                    report.bad(reader.line_num, f"expected {len(header)} columns, found {len(row)}")
                    continue
                chunk.append((reader.line_num, dict(zip(header, row, strict=True))))
                if len(chunk) >= CHUNK_SIZE:
                    import_chunk(chunk, report)
                    chunk = []
            if chunk:
                import_chunk(chunk, report)
        report.finish(self.stdout)
        if report.failures:
            raise CommandError(f"{len(report.failures)} rows were not imported (listed above).")


def decoded_lines(handle: Iterable[bytes], report: "ImportReport") -> Iterator[str]:
    """UTF-8 lines; a line that is not UTF-8 is reported and read as blank, so line numbers stay true."""
    for number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            report.bad(number, "not UTF-8 text; save the file as UTF-8")
            yield "\n"


class ImportReport:
    def __init__(self, stream: OutputWrapper, *, verbosity: int) -> None:
        self.stream, self.verbosity = stream, verbosity
        self.created = self.updated = 0
        self.failures: list[tuple[int, str]] = []

    def bad(self, line: int, reason: str) -> None:
        self.failures.append((line, reason))
        self.stream.write(f"Line {line}: {reason}")

    def progress(self) -> None:
        if self.verbosity:
            done = self.created + self.updated + len(self.failures)
            self.stream.write(
                f"\r{done:,} rows read: {self.created:,} new, {self.updated:,} updated, {len(self.failures):,} bad",
                ending="",
            )
            self.stream.flush()

    def finish(self, stdout: OutputWrapper) -> None:
        if self.verbosity:
            self.stream.write("")
        stdout.write(f"Imported: {self.created} new, {self.updated} updated, {len(self.failures)} bad rows.")


def import_chunk(rows: list[tuple[int, dict]], report: ImportReport) -> None:
    """One transaction per chunk, through the customers service (so the name history is kept)."""
    result = customers_import(rows)
    for line, reason in result.failures:
        report.bad(line, reason)
    report.created += result.created
    report.updated += result.updated
    report.progress()
