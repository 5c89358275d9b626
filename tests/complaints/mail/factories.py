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


def numbered(prefix: str, count: int) -> list[bytes]:
    """`count` short complaints from different senders, each with its own Message-ID."""
    return [
        f"From: {prefix}{n}@example.test\r\nSubject: Complaint {n}\r\nMessage-ID: <{prefix}-{n}@example.test>\r\n"
        f"\r\nComplaint number {n}.\r\n".encode()
        for n in range(count)
    ]
