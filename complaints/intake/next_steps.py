"""What a complainant is told right after complaining, built only from what they typed: never from
what we have on file (that would tell a stranger whether a phone number or address is known)."""


def masked_email(email: str) -> str:
    """j•••@example.com: enough for the person who typed it to recognise it, little for anyone looking on."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def masked_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return f"the number ending {''.join(digits[-2:])}" if len(digits) >= 2 else "the number you gave"


def what_happens_next(submitted: dict) -> str:
    email, phone = submitted.get("email", "").strip(), submitted.get("phone", "").strip()
    if email:
        return (
            f"We have emailed a private link to follow your case to {masked_email(email)}. "
            "Only that mailbox gets it; if it does not arrive, check your spam folder."
        )
    return f"You gave no email address, so we will call you on {masked_phone(phone)} about your complaint."
