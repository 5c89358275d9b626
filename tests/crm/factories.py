import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import Customer, Service, StaffProfile, Subscription, Team


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff user with a role group, a profile and a team. Password: 'correct horse battery'."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.gemdesk.test")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.django.Password("correct horse battery")
    role = "agent"
    team_name = "Team North"
    leads_team = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        role = kwargs.pop("role")
        team_name = kwargs.pop("team_name")
        leads_team = kwargs.pop("leads_team")
        user = super()._create(model_class, *args, **kwargs)
        # get_or_create: transactional tests flush the groups the data migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        team, _ = Team.objects.get_or_create(name=team_name)
        if leads_team:
            team.lead = user
            team.save(update_fields=["lead"])
        StaffProfile.objects.update_or_create(
            user=user, defaults={"display_name": user.first_name or user.username, "team": team}
        )
        return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.test")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    service = factory.SubFactory(ServiceFactory)
    region = "north"
