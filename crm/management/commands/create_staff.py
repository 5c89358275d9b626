import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.exceptions import InvalidInput
from crm.models import Role
from crm.staff.services import staff_create_or_update


class Command(BaseCommand):
    help = "Create or update a staff user with a role (agent, lead, manager, executive)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--team", default="")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")
        try:
            user = staff_create_or_update(
                username=options["username"],
                role=options["role"],
                email=options["email"],
                password=password,
                display_name=options["display_name"],
                team_name=options["team"],
            )
        except InvalidInput as error:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.errors.items())
            raise CommandError(f"{error.detail} {details}") from error
        self.stdout.write(f"Staff user {user.username} has the role {options['role']}.")
