"""Reading one raw RFC 822 message into what a case needs: who wrote, about which case,
the words they wrote (verbatim, with the quoted history split off to be folded), and files.

Pure parsing, no database: complaints.services.email_ingest decides what to do with it.
"""

import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

REFERENCE_IN_SUBJECT = re.compile(r"\[(GD-\d{6,})\]", re.IGNORECASE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\x85]")
# Where quoted history starts in a reply: "On <date>, <name> wrote:", an Outlook separator, or ">" lines.
QUOTE_HEADER = re.compile(
    r"^(On .{1,200} wrote:|-{2,}\s*Original Message\s*-{2,}|_{10,})\s*$", re.IGNORECASE | re.MULTILINE
)
AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)([+\-@]|$)", re.IGNORECASE)
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


class MalformedEmail(ValueError):
    """The message cannot become a case; the reason is kept with the raw message."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class SkippedAttachment:
    filename: str
    size: int
    reason: str


@dataclass
class ParsedEmail:
    from_address: str
    from_name: str
    subject: str
    message_id: str
    thread_ids: list[str]
    body: str
    quoted: str
    automatic_reason: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    skipped_attachments: list[SkippedAttachment] = field(default_factory=list)

    @property
    def reference(self) -> str | None:
        match = REFERENCE_IN_SUBJECT.search(self.subject)
        return match.group(1).upper() if match else None

    @property
    def full_text(self) -> str:
        return f"{self.body}\n\n{self.quoted}".strip() if self.quoted else self.body


class _TextFromHTML(HTMLParser):
    """HTML-only mail to readable text: block elements become line breaks, scripts and styles vanish."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHTML()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_quoted(text: str) -> tuple[str, str]:
    """Split a reply into what was written now and the quoted history below it (kept, to be folded)."""
    header = QUOTE_HEADER.search(text)
    lines = text.splitlines(keepends=True)
    quote_at = header.start() if header else None
    if quote_at is None:
        # A block of ">" lines running to the end (allowing blank lines and a signature-free tail).
        offset = 0
        for index, line in enumerate(lines):
            if line.startswith(">") and all(not rest.strip() or rest.startswith(">") for rest in lines[index:]):
                quote_at = offset
                break
            offset += len(line)
    if quote_at is None or not text[:quote_at].strip():
        return text.strip("\n"), ""
    return text[:quote_at].rstrip(), text[quote_at:].strip("\n")


def _decoded_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        # Unknown or lying charset: keep every byte readable rather than drop the customer's words.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("latin-1", errors="replace")


def _automatic_reason(message: EmailMessage, from_address: str) -> str:
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        return "delivery status notification"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto-reply header"
    if AUTOMATIC_SENDERS.match(from_address):
        return f"automatic sender {from_address}"
    return ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    raw_from = message.get("From")
    if raw_from is None:
        raise MalformedEmail("no From header")
    try:
        addresses = getaddresses([str(raw_from)])
    except (TypeError, ValueError) as error:
        raise MalformedEmail(f"unreadable From header: {error}") from error
    name, address = addresses[0] if addresses else ("", "")
    if not address or "@" not in address or CONTROL_CHARACTERS.search(address):
        raise MalformedEmail("From header has no usable address")
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as error:
        raise MalformedEmail(f"From address is not valid: {address!r}") from error
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}", CONTROL_CHARACTERS.sub("", name).strip()


def parse_email(raw: bytes, *, attachment_max_bytes: int) -> ParsedEmail:
    """Parse one raw message. Raises MalformedEmail with the reason when it cannot become a case."""
    if not raw.strip():
        raise MalformedEmail("empty message")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # noqa: BLE001 - the parser can fail in many ways; all mean "malformed"
        raise MalformedEmail(f"unparseable message: {error}") from error
    from_address, from_name = _sender(message)
    subject = CONTROL_CHARACTERS.sub(" ", str(message.get("Subject", "") or "")).strip()[:200]
    message_id = str(message.get("Message-ID", "") or "").strip()
    thread_ids = re.findall(r"<[^<>\s]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}")

    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    if text_part is not None:
        text = _decoded_text(text_part)
    elif html_part is not None:
        text = html_to_text(_decoded_text(html_part))
    else:
        text = ""
    body, quoted = split_quoted(text.replace("\r\n", "\n"))

    attachments: list[Attachment] = []
    skipped: list[SkippedAttachment] = []
    for part in message.iter_attachments():
        if part.get_content_maintype() == "multipart":
            continue
        filename = CONTROL_CHARACTERS.sub("", part.get_filename() or "attachment")[:200]
        content = part.get_payload(decode=True) or b""
        if len(content) > attachment_max_bytes:
            skipped.append(SkippedAttachment(filename, len(content), f"larger than {attachment_max_bytes} bytes"))
        else:
            attachments.append(Attachment(filename, part.get_content_type(), content))

    automatic_reason = _automatic_reason(message, from_address)
    if not body.strip() and not attachments and not automatic_reason:
        raise MalformedEmail("no text and no attachments")
    return ParsedEmail(
        from_address=from_address,
        from_name=from_name,
        subject=subject,
        message_id=message_id,
        thread_ids=thread_ids,
        body=body,
        quoted=quoted,
        automatic_reason=automatic_reason,
        attachments=attachments,
        skipped_attachments=skipped,
    )
