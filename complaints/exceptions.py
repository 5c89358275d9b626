"""Domain errors of complaints; config.api maps every DomainError to 400/403/404/409.
The shared ones (InvalidInput, NotPermitted, Conflict, NotAllowedInStatus) come from crm.exceptions."""

from crm.exceptions import Conflict


class AlreadyOwned(Conflict):
    def __init__(self, *, owner_username: str, owner_name: str):
        super().__init__(f"This case is already owned by {owner_name}.")
        self.errors = {"owner": [owner_username]}


class AudienceChanged(Conflict):
    """An incident update was confirmed for a number of customers that is no longer right: ask again."""

    def __init__(self, *, expected: int, recipients: int):
        super().__init__(
            f"This update would now go to {recipients} customers, not {expected}: check and confirm again."
        )
        self.errors = {"expected_recipients": [str(recipients)]}
