"""Keep customers' email addresses and phone numbers out of the logs."""

import logging
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Not inside a longer token: task ids (uuids) and durations keep their digits.
PHONE = re.compile(r"(?<![\w.-])\+?\d[\d ()-]{7,}\d(?![\w-])")


def mask(text: str) -> str:
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Render once with the arguments, then mask the result, so nothing slips through an argument.
        record.msg = mask(record.getMessage())
        record.args = None
        return True
