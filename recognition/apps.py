from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recognition"

    def ready(self) -> None:
        # The case page offers "This was great: tell the story"; a resolved case's status page asks the
        # customer whether they would like to thank whoever looked after them.
        from crm.sections import register
        from recognition.praise.views import status_page_section
        from recognition.stories.views import case_story_section

        register("case", case_story_section)
        register("status", status_page_section)
        # The figures dashboard (complaints) shows the balance of delight and recovery stories.
        from recognition.board.views import dashboard_section

        register("dashboard", dashboard_section)
        # A customer's copy of their personal data (crm) holds the compliments they gave.
        from crm import personal_data
        from recognition.praise.selectors import personal_data_compliments
        from recognition.praise.services import praise_erase_personal_data

        personal_data.register("compliments", personal_data_compliments, praise_erase_personal_data)
