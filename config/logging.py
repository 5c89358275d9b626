"""Keep customers' email addresses, phone numbers and private link tokens out of the logs."""

import logging
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Not inside a longer token: task ids (uuids), durations and timestamps ("2026-11-25 20:37") keep their digits.
PHONE = re.compile(r"(?<![\w.-])(?!\d{4}-\d\d-\d\d[ T]\d)\+?\d[\d ()-]{7,}\d(?![\w-])")
# The key in a status link or a stop-notices link opens a customer's case or preferences: never logged.
LINK_TOKEN = re.compile(r"(/status/|/notices/|/praise/|/api/v1/public/cases/)[^/\s\"'?]+")


def mask(text: str) -> str:
    return PHONE.sub("[phone]", EMAIL.sub("[email]", LINK_TOKEN.sub(r"\1[token]", text)))


class MaskPersonalDataFilter(logging.Filter):
    """Masks the message, its arguments and any traceback or stack text attached to the record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        # Render once with the arguments, then mask the result, so nothing slips through an argument.
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info:
            # The traceback's last line repeats the exception's text (an address Django refused, say).
            # Formatters print exc_text as it is when exc_info is gone, so the masked text is what they print.
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
