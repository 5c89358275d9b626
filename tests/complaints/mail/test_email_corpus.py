"""Real-world mail nobody on the project wrote (the email test corpus the Python standard library ships:
mailing-list digests, delivery reports from several servers, forwards, signed and nested multiparts,
legacy charsets, broken MIME), plus hostile messages of our own, each fed to `ingest_email` twice.

The contract: every message is stored with its fate and the command exits 0 with one line naming it;
reading them all again changes nothing."""

import io
import sysconfig
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from complaints.mail.parsing import best_effort_headers, message_identity
from complaints.models import Attachment, Case, CaseEvent, InboundEmail, RejectedEmail
from crm.models import Customer, OutboundEmail

pytestmark = pytest.mark.django_db

CORPUS = Path(sysconfig.get_path("stdlib")) / "test" / "test_email" / "data"
FATES = ("new_case", "reply", "unverified", "automatic", "rejected", "duplicate")


def hostile() -> dict[str, bytes]:
    head = b"From: Eve <eve@example.test>\r\nTo: care@example.test\r\n"
    return {
        "nul bytes in the body": head + b"Subject: nul\r\n\r\nabc\x00def\x00\r\n",
        "8-bit garbage, no charset": head + b"Subject: bytes\r\n\r\n\xff\xfe\xfa\x80 broken \xc3\x28\r\n",
        "unknown charset": head + b"Subject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nQapla'\r\n",
        "broken base64": head + b"Subject: b64\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64===\r\n",
        "encoded CR/LF in subject": head + b"Subject: =?utf-8?q?a=0D=0ABcc=3A_x=40evil.test?=\r\n\r\ntext\r\n",
        "encoded NUL in the name": b"From: =?utf-8?q?Ev=00e?= <eve@example.test>\r\nSubject: n\r\n\r\ntext\r\n",
        "a 20,000-character header line": head + b"Subject: " + b"x" * 20_000 + b"\r\n\r\ntext\r\n",
        "two senders": b"From: a@example.test, b@example.test\r\nSubject: two\r\n\r\ntext\r\n",
        "empty sender": b"From: <>\r\nSubject: empty\r\n\r\ntext\r\n",
        "only headers": head + b"Subject: nothing\r\n",
        "nothing at all": b"\r\n\r\n",
        "a multipart without its boundary": head + b"Subject: m\r\nContent-Type: multipart/mixed\r\n\r\nwords\r\n",
        "multiparts nested 60 deep": head
        + b"Subject: deep\r\nMIME-Version: 1.0\r\n"
        + b"".join(f"Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n".encode() for n in range(60))
        + b"Content-Type: text/plain\r\n\r\ndeep text\r\n",
        "path traversal and NUL in a file name": head
        + b"Subject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n"
        + b"Content-Type: text/plain\r\n\r\nsee file\r\n--X\r\nContent-Type: application/octet-stream\r\n"
        + b'Content-Disposition: attachment; filename="../../\x00evil.sh"\r\n\r\nrm -rf /\r\n--X--\r\n',
        "script in HTML": head
        + b"Subject: html\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script><p>Hi</p>\r\n",
        "a 12,000-line letter": head + b"Subject: long\r\n\r\n" + b"I am very upset.\r\n" * 12_000,
    }


def messages() -> dict[str, bytes]:
    files = sorted(CORPUS.glob("msg_*.txt"))
    assert len(files) >= 40, f"the standard library's email corpus is missing at {CORPUS}"
    return {path.name: path.read_bytes() for path in files} | hostile()


def ingest(raw: bytes) -> tuple[int, list[str]]:
    out = io.StringIO()
    with mock.patch("sys.stdin", io.TextIOWrapper(io.BytesIO(raw))):
        try:
            call_command("ingest_email", stdout=out, stderr=io.StringIO())
        except CommandError as error:
            return error.returncode, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def stored() -> dict[str, int]:
    tables = (Case, CaseEvent, Customer, InboundEmail, RejectedEmail, Attachment, OutboundEmail)
    return {model.__name__: model.objects.count() for model in tables}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.slow
def test_every_message_is_stored_with_its_fate_and_reading_them_again_changes_nothing():
    corpus = messages()
    fates = {}
    for name, raw in corpus.items():
        code, lines = ingest(raw)
        assert code == 0 and len(lines) == 1, (name, code, lines)
        fates[name] = lines[0].split(":")[0].split(" ")[0]
        assert fates[name] in FATES, (name, lines)
    # Every message is somewhere staff can see it. The corpus repeats a few Message-IDs (msg_01 to msg_03
    # and others are one message): those are the only duplicates of the first reading.
    distinct = {message_identity(raw, best_effort_headers(raw)[2]) for raw in corpus.values()}
    assert sum(fate != "duplicate" for fate in fates.values()) == len(distinct) >= len(corpus) - 5
    assert InboundEmail.objects.count() + RejectedEmail.objects.count() == len(distinct)
    # The kinds the corpus holds each reached their fate: reports ignored, forwards and digests read, rubbish kept.
    assert fates["msg_16.txt"] == fates["msg_25.txt"] == "automatic"  # delivery reports, two servers
    assert fates["msg_46.txt"] == fates["msg_28.txt"] == "new_case"  # a forward, a digest
    assert fates["msg_11.txt"] == fates["nothing at all"] == "rejected"
    before = stored()

    for name, raw in corpus.items():
        code, lines = ingest(raw)
        assert (code, lines) == (0, ["duplicate"]), (name, code, lines)
    assert stored() == before
