import factory

from complaints.cases import services as case_services
from complaints.models import Category
from tests.crm.factories import CustomerFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


def make_case(*, by=None, customer=None, channel=None, **fields):
    """A case made the way the product makes it: through the service. `by` owns it; without, it is unowned."""
    return case_services.case_create(
        customer=customer or CustomerFactory(),
        channel=channel or ("phone" if by is not None else "web"),
        subject=fields.pop("subject", "Broadband down for three days"),
        description=fields.pop("description", "No connection since Friday; I work from home."),
        by=by,
        **fields,
    )
