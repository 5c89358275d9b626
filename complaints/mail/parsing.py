"""Reading one raw RFC 822 message into what a case needs: who wrote, about which case,
the words they wrote (verbatim, with the quoted history split off to be folded), and files.

Pure parsing, no database: complaints.mail.services.email_ingest decides what to do with it.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

REFERENCE_IN_SUBJECT = re.compile(r"\[(GD-\d{6,})\]", re.IGNORECASE)
# Text kept in the body: line breaks and tabs stay, other control characters go.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\x85\ud800-\udfff]")
# Text that ends up in a header (a subject, a name): every control character, line breaks included,
# becomes one space (an encoded CR/LF in a Subject is a way to break our own emails).
HEADER_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")
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
    # What the trusted receiving server's Authentication-Results said failed ("dmarc=fail"), if anything.
    authentication_failures: list[str] = field(default_factory=list)

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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
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


def _payload_bytes(part: MIMEPart) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _decoded_text(part: MIMEPart) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeDecodeError):
        # Unknown or lying charset: keep every byte readable rather than drop the customer's words.
        return _payload_bytes(part).decode("latin-1", errors="replace")


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


def header_text(value: str) -> str:
    """Text from a header (or bound for one), on one line: control characters and line breaks become spaces."""
    return HEADER_BREAKING.sub(" ", value or "").strip()


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
    return f"{local}@{domain.lower()}", header_text(name)


AUTHENTICATION_METHODS = ("dmarc", "dkim", "spf")


def authentication_failures(message: EmailMessage, trusted_authserv_id: str) -> list[str]:
    """Failing DMARC, DKIM or SPF results in the Authentication-Results headers written by the server we
    trust (RFC 8601: the header starts with its authserv-id). Headers naming any other server may have
    come with the message from anyone, so they are ignored."""
    if not trusted_authserv_id:
        return []
    failures = []
    for header in message.get_all("Authentication-Results") or []:
        authserv_id, _, results = str(header).partition(";")
        words = authserv_id.split()
        if not words or words[0].lower() != trusted_authserv_id.lower():
            continue
        for method, result in re.findall(r"\b(dmarc|dkim|spf)\s*=\s*([a-z]+)", results, re.IGNORECASE):
            if result.lower() in {"fail", "permerror"}:
                failures.append(f"{method.lower()}={result.lower()}")
    return sorted(set(failures))


def _body_text(message: MIMEPart) -> str:
    text_part = message.get_body(preferencelist=("plain",))
    if text_part is not None:
        return _decoded_text(text_part)
    html_part = message.get_body(preferencelist=("html",))
    if html_part is not None:
        return html_to_text(_decoded_text(html_part))
    if message.get_content_maintype() == "multipart":
        # Broken MIME (no boundary, or one that never appears): the parser leaves the words in the
        # preamble or as a plain string payload. They are still the customer's words.
        payload = message.get_payload()
        return message.preamble or (payload if isinstance(payload, str) else "") or ""
    return ""


def _forwarded_texts(message: MIMEPart) -> list[str]:
    """The text of messages forwarded as attachments (message/rfc822), each under a line naming it:
    a forward with no words of its own is still the customer's complaint."""
    texts = []
    for part in message.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        for inner in part.iter_parts():
            inner_text = _body_text(inner).strip()
            if inner_text:
                sender = header_text(str(inner.get("From", "") or "")) or "unknown sender"
                subject = header_text(str(inner.get("Subject", "") or ""))
                texts.append(f"---------- Forwarded message from {sender}: {subject} ----------\n{inner_text}")
    return texts


def _attachments(message: EmailMessage, limit: int) -> tuple[list[Attachment], list[SkippedAttachment]]:
    attachments: list[Attachment] = []
    skipped: list[SkippedAttachment] = []
    for part in message.iter_attachments():
        if part.get_content_maintype() == "multipart":
            continue
        filename = header_text(CONTROL_CHARACTERS.sub("", part.get_filename() or ""))[:200]
        if part.get_content_type() == "message/rfc822":
            # A forwarded message is kept whole as a file, besides its text in the case.
            inner = next(part.iter_parts(), None)
            content = inner.as_bytes() if inner is not None else b""
            filename = filename or "forwarded-message.eml"
        else:
            content = _payload_bytes(part)
        filename = filename or "attachment"
        if len(content) > limit:
            skipped.append(SkippedAttachment(filename, len(content), f"larger than {limit} bytes"))
        else:
            attachments.append(Attachment(filename, part.get_content_type(), content))
    return attachments, skipped


def parse_email(raw: bytes, *, attachment_max_bytes: int, trusted_authserv_id: str = "") -> ParsedEmail:
    """Parse one raw message. Raises MalformedEmail with the reason when it cannot become a case."""
    if not raw.strip():
        raise MalformedEmail("empty message")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return _parse(message, attachment_max_bytes=attachment_max_bytes, trusted_authserv_id=trusted_authserv_id)
    except MalformedEmail:
        raise
    except Exception as error:  # noqa: BLE001 - broken MIME fails the parser in many ways; all mean "malformed"
        raise MalformedEmail(f"unreadable message ({type(error).__name__}: {error})"[:400]) from error


def _parse(message: EmailMessage, *, attachment_max_bytes: int, trusted_authserv_id: str) -> ParsedEmail:
    from_address, from_name = _sender(message)
    subject = header_text(str(message.get("Subject", "") or ""))[:200]
    message_id = header_text(str(message.get("Message-ID", "") or ""))
    thread_ids = re.findall(r"<[^<>\s]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}")

    body, quoted = split_quoted(_body_text(message).replace("\r\n", "\n"))
    forwarded = _forwarded_texts(message)
    if forwarded:
        body = "\n\n".join([body.strip(), *forwarded]).strip()
    attachments, skipped = _attachments(message, attachment_max_bytes)

    automatic_reason = _automatic_reason(message, from_address)
    if not body.strip() and not attachments and not automatic_reason:
        raise MalformedEmail("no text and no attachments")
    return ParsedEmail(
        from_address=from_address,
        from_name=from_name,
        subject=subject,
        message_id=message_id,
        thread_ids=thread_ids,
        body=CONTROL_CHARACTERS.sub("", body),
        quoted=CONTROL_CHARACTERS.sub("", quoted),
        automatic_reason=automatic_reason,
        attachments=attachments,
        skipped_attachments=skipped,
        authentication_failures=authentication_failures(message, trusted_authserv_id),
    )


# Headers each mail server on the way adds or rewrites: not part of what the sender wrote.
TRACE_HEADERS = re.compile(rb"^(received|return-path|delivered-to|x-original-to|x-delivered-to)\s*:", re.IGNORECASE)


def message_identity(raw: bytes, message_id: str = "") -> str:
    """What makes two readings of one message the same message: its Message-ID, or (a message without one)
    a hash of the message without the trace headers servers add on the way, so a re-delivery matches too."""
    if message_id:
        return message_id[:300]
    head, separator, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation belongs to the header above it
            if not skipping:
                kept.append(line)
            continue
        skipping = bool(TRACE_HEADERS.match(line))
        if not skipping:
            kept.append(line)
    return "sha256:" + hashlib.sha256(b"\n".join(kept) + separator + body).hexdigest()


HEADERS_SHOWN = ("From", "Subject", "Message-ID")


def best_effort_headers(raw: bytes) -> tuple[str, str, str]:
    """From, Subject and Message-ID as far as they can be read, even from a message that is otherwise
    unreadable: the list of rejected mail shows them and the Message-ID keeps a second reading a duplicate."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        sender, subject, message_id = (header_text(str(message.get(name, "") or "")) for name in HEADERS_SHOWN)
    except Exception:  # noqa: BLE001 - nothing readable is fine: the reason and the raw bytes are kept
        return "", "", ""
    return sender, subject, message_id


def readable_text(raw: bytes) -> str:
    """Whatever a person can read of a message that could not be parsed as one: its text part if the parser
    gets that far, else the bytes after the headers. For staff turning a refused message into a case."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        text = _body_text(message) or "\n\n".join(_forwarded_texts(message))
    except Exception:  # noqa: BLE001 - the fallback below always gives something
        text = ""
    if not text.strip():
        text = raw.replace(b"\r\n", b"\n").partition(b"\n\n")[2].decode("utf-8", errors="replace")
    return CONTROL_CHARACTERS.sub("", text).strip()


def split_address(header_value: str) -> tuple[str, str]:
    """("Siân Jones", "sian@example.org") from 'Siân Jones <sian@example.org>', as far as it goes."""
    try:
        name, address = getaddresses([header_value])[0]
    except (IndexError, ValueError, TypeError):
        return "", ""
    return header_text(name), address if "@" in address else ""
