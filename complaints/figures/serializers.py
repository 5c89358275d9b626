"""The figures as JSON (GET figures/): the shape documented in OpenAPI. Counts are integers; hours, shares
(0 to 1) and the average rating are numbers, null when nothing was measured."""

from rest_framework import serializers

from complaints.figures import selectors

MEASURES = ("_hours", "_share", "average_rating", "handovers_per_100_cases")


def _figure_fields() -> dict[str, serializers.Field]:
    fields: dict[str, serializers.Field] = {}
    for key in selectors.FIGURE_KEYS:
        if key.endswith(MEASURES):
            fields[key] = serializers.FloatField(allow_null=True)
        else:
            fields[key] = serializers.IntegerField()
    return fields


PeriodFiguresOutput = type("PeriodFiguresOutput", (serializers.Serializer,), _figure_fields())


class WeekOutput(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday the week starts on (TIME_ZONE).")
    complaints = serializers.IntegerField()
    by_category = serializers.DictField(child=serializers.IntegerField(), help_text='By category slug ("": none).')
    by_root_cause = serializers.DictField(child=serializers.IntegerField(), help_text='"": not resolved yet.')
    by_channel = serializers.DictField(child=serializers.IntegerField())


class TeamPromisesOutput(serializers.Serializer):
    team = serializers.CharField()
    team_id = serializers.IntegerField(allow_null=True)
    kept_on_time = serializers.IntegerField()
    kept_late = serializers.IntegerField()
    rescheduled_before_due = serializers.IntegerField()
    broken = serializers.IntegerField()
    withdrawn = serializers.IntegerField()


class OpenByAgeOutput(serializers.Serializer):
    open_under_1_day = serializers.IntegerField()
    open_1_to_7_days = serializers.IntegerField()
    open_7_to_30_days = serializers.IntegerField()
    open_over_30_days = serializers.IntegerField()


class FiguresOutput(PeriodFiguresOutput):  # type: ignore[valid-type,misc]
    period = serializers.DictField(child=serializers.DateField(), help_text='{"from": ..., "to": ...}')
    previous_period = serializers.DictField(child=serializers.DateField())
    previous = PeriodFiguresOutput(help_text="The same figures for the period of the same length before.")
    per_week = WeekOutput(many=True)
    promise_outcomes_per_team = TeamPromisesOutput(many=True)
    open_by_age = OpenByAgeOutput(help_text="Cases open now, by how long ago they were opened (not the period).")
