from rest_framework import serializers


class BalanceRowOutput(serializers.Serializer):
    name = serializers.CharField(help_text="A team, or 'Everyone'.")
    delight = serializers.IntegerField()
    recovery = serializers.IntegerField()
    delight_share = serializers.FloatField(allow_null=True)
    needs_nudge = serializers.BooleanField(help_text="Recovery stories are more than 60 %.")


class BalanceOutput(serializers.Serializer):
    days = serializers.IntegerField()
    overall = BalanceRowOutput()
    teams = BalanceRowOutput(many=True)
