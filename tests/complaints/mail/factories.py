"""Messages the email tests build rather than keep as files."""

from email.message import EmailMessage

TWENTY_MEGABYTES = 20 * 1024 * 1024


def big_message(*, sender: str = "big@example.com", filename: str = "scans.pdf") -> bytes:
    """A short letter with a 20 MB attachment: over the attachment cap, under the message cap."""
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = "All my letters"
    message.set_content("Scans attached.")
    message.add_attachment(b"\x00" * TWENTY_MEGABYTES, maintype="application", subtype="pdf", filename=filename)
    return bytes(message)
