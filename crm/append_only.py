"""Histories that are never rewritten: a model of this kind refuses, in the ORM, to update or delete a row
once written (each app also installs a PostgreSQL trigger, so raw SQL is refused too). The one exception is
erasing a customer's personal data (rewrite_for_erasure)."""

from typing import Any, NoReturn

from django.db import models


def _refused(model: type[models.Model], verb: str) -> TypeError:
    return TypeError(f"{str(model._meta.verbose_name_plural).capitalize()} are append-only: they cannot be {verb}.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise _refused(self.model, "updated")

    def delete(self) -> NoReturn:
        raise _refused(self.model, "deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise _refused(type(self), "updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _refused(type(self), "deleted")


def rewrite_for_erasure(model: type[models.Model], pk: int, **fields: Any) -> None:
    """The one way a history row changes: crm.customers.services.customer_erase replacing a customer's words
    with "[erased]". On PostgreSQL the table's trigger lets it through only for that customer's rows, in the
    erasure's own transaction, and only for the listed text becoming "[erased]"."""
    models.QuerySet(model).filter(pk=pk).update(**fields)
