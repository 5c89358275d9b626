from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"

    def ready(self) -> None:
        # The case page (complaints) shows the suggestions citing it and "suggest a change from this case".
        from crm.sections import register
        from feedback.suggestions.views import case_suggestions_section

        register("case", case_suggestions_section)
        # The figures dashboard (complaints) shows how managers answer suggestions.
        from feedback.suggestions.views import dashboard_section

        register("dashboard", dashboard_section)
