"""Domain errors. Services raise these; config.api.exception_handler maps them to HTTP.

Every app's exceptions.py subclasses these, so one handler knows them all.
"""


class DomainError(Exception):
    """A rule of the domain said no. `errors` maps field names to messages."""

    status_code = 400

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class InvalidInput(DomainError):
    status_code = 400


class NotPermitted(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The request is valid but the current state forbids it (409)."""

    status_code = 409


class NotAllowedInStatus(Conflict):
    def __init__(self, *, action: str, status: str):
        super().__init__(f"Cannot {action} while the status is '{status}'.")
        self.status = status
