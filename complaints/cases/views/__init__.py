"""Agent and lead pages of cases, by page: the case page, the lists, log a call."""
