"""Domain errors of complaints; config.api maps them to 400/403/404/409."""

from crm.exceptions import Conflict, InvalidInput, NotAllowedInStatus, NotFoundError, NotPermitted

__all__ = ["AlreadyOwned", "Conflict", "InvalidInput", "NotAllowedInStatus", "NotFoundError", "NotPermitted"]


class AlreadyOwned(Conflict):
    def __init__(self, *, owner_username: str, owner_name: str):
        super().__init__(f"This case is already owned by {owner_name}.")
        self.errors = {"owner": [owner_username]}
