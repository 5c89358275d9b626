"""A bulk email's copies, made from bytes built once, read the same as building each copy with Django:
parsed with the standard library, every header and the text are the same; each line fits RFC 5322; a
copy the marks cannot make safely is left to Django."""

import email
import email.policy
import smtplib

import pytest
from django.core.mail import get_connection

from crm.customers.selectors import customer_from_notices_token
from crm.models import Customer, OutboundEmail
from crm.names import salutation
from crm.outbox import sending as outbox_sending
from crm.outbox.messages import LINE_LIMIT, bulk_copies, django_message
from tests.crm.factories import CustomerFactory
from tests.crm.outbox.bulk import notices_token, write_bulk

pytestmark = pytest.mark.django_db

# Names as customers write them: quoting, encoded words, long ones that fold.
NAMES = [
    ("Ana Lima", "", ""),
    ("Doe, Jane", "Ms", "Doe"),
    ('George "Bob" King', "", ""),
    ("O'Brien <boss>", "", ""),
    ("Νίκος Παπαδόπουλος", "Mr", "Παπαδόπουλος"),
    ("山田太郎", "", ""),
    ("Siobhán Ní Bhriain-Ó Súilleabháin " * 3, "Dr", "Ní Bhriain"),
    ("A" * 200, "", ""),
]


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_every_copy_reads_exactly_as_djangos_own_build_of_it():
    customers = [
        CustomerFactory(full_name=name, title=title, formal_name=formal, email=f"c{n}@example.test")
        for n, (name, title, formal) in enumerate(NAMES)
    ]
    _, bulk, rows = write_bulk(customers, subject="Panne réseau: Λειτουργία 山田 — update")
    copies = bulk_copies(bulk)
    assert copies is not None and len(rows) == len(NAMES)
    for row in rows:
        recipient, raw = copies.copy_for(row)
        ours = parsed(raw)
        django = parsed(django_message(row, bulk, get_connection()).message().as_bytes(linesep="\r\n"))
        assert ours.keys() == django.keys()
        names = [name for name in django if name not in ("Date", "Content-Transfer-Encoding")]
        assert [str(ours[name]) for name in names] == [str(django[name]) for name in names]
        # Django says 7bit when a copy happens to be ASCII; 8bit covers every copy of the one template.
        assert (ours["Content-Transfer-Encoding"], django["Content-Transfer-Encoding"]) in {
            ("8bit", "7bit"),
            ("8bit", "8bit"),
        }
        assert ours.get_content() == django.get_content()
        # One recipient, as written; the Message-ID of the key; the customer's own stop link.
        [address] = ours["To"].addresses
        assert (recipient, address.addr_spec, address.display_name) == (row.to_email, row.to_email, row.to_name)
        assert ours["Message-ID"] == row.message_id
        assert customer_from_notices_token(notices_token(ours)) == row.customer
        assert ours.get_content().startswith(f"{salutation(row.customer)},\r\n")
        assert all(len(line) <= LINE_LIMIT for line in raw.split(b"\r\n"))


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("Eve\nBcc: x@evil.test", "eve@example.test"),  # a line break written past the checks
        ("Mallory", "mallory@example.test>"),  # an address no mail system reads
        ("Jürgen", "jürgen@bücher.example"),  # an international address: Django's encoding
        ("山" * 200, "long@example.test"),  # an encoded name too long for one line
    ],
)
def test_a_copy_the_marks_cannot_make_safely_is_left_to_django(name, address):
    customer = Customer.objects.create(full_name=name, email=address)
    _, bulk, [row] = write_bulk([customer])
    assert bulk_copies(bulk).copy_for(row) is None


def test_a_salutation_that_would_make_a_line_too_long_is_left_to_django():
    customer = CustomerFactory(full_name="Ana", title="Dr", formal_name="Ω" * 150)  # 300 bytes in UTF-8
    _, bulk, [row] = write_bulk([customer], body="x" * 700 + "{{ salutation }}" + "\n")
    assert bulk_copies(bulk).copy_for(row) is None


def test_a_text_with_lines_too_long_for_8bit_is_built_by_django_for_everyone(sink):
    customer = CustomerFactory(full_name="Ana Lima")
    long_line = "The outage affects " + "many streets, " * 80 + "\n"
    _, bulk, [row] = write_bulk([customer], body="{{ salutation }},\n\n" + long_line)
    assert bulk_copies(bulk) is None  # Django chose quoted-printable, whose soft breaks could split a mark
    assert outbox_sending.send_pending([row.pk])["sent"] == 1
    [message] = sink.messages
    assert message.get_payload(decode=True).decode().startswith("Dear Ana Lima,")


def test_copies_the_marks_cannot_make_still_go_out_or_fail_alone(sink):
    plain = CustomerFactory(full_name="Ana Lima", email="ana@example.test")
    international = Customer.objects.create(full_name="Jürgen", email="jurgen@bücher.example")
    broken = Customer.objects.create(full_name="Eve\nBcc: x@evil.test", email="eve@example.test")
    _, _, rows = write_bulk([plain, international, broken])
    assert outbox_sending.send_pending([row.pk for row in rows]) == {"sent": 2, "failed": 1, "retry": 0}
    assert sorted(sink.attempts) == ["ana@example.test", "jurgen@xn--bcher-kva.example"]
    assert "could not be built" in OutboundEmail.objects.get(customer=broken).last_error


def test_sent_rows_are_marked_in_groups_not_one_statement_each(sink, monkeypatch, django_assert_num_queries):
    # Groups by count alone: a slow run must not also mark by time.
    monkeypatch.setattr(outbox_sending, "MARK_SENT_SECONDS", 60)
    customers = CustomerFactory.create_batch(100)
    _, _, rows = write_bulk(customers)
    marks = -(-100 // outbox_sending.MARK_SENT_EVERY)
    with django_assert_num_queries(5 + marks):  # the claim and the bulk email, then one UPDATE per group
        assert outbox_sending.send_pending([row.pk for row in rows])["sent"] == 100
    assert sink.count() == 100
    assert OutboundEmail.objects.filter(state="sent", sent_at__isnull=False, attempts=1).count() == 100


@pytest.mark.parametrize("pipelining", [True, False])
def test_copies_go_the_same_with_pipelining_or_without_in_half_the_writes(sink, monkeypatch, pipelining):
    sink.pipelining = pipelining
    writes: list[bytes] = []
    send = smtplib.SMTP.send

    def recorded(smtp, data):
        writes.append(data if isinstance(data, bytes) else data.encode())
        return send(smtp, data)

    monkeypatch.setattr(smtplib.SMTP, "send", recorded)
    ana = CustomerFactory(full_name="Ana Lima", email="ana@example.test")
    busy = CustomerFactory(full_name="Bo Busy", email="busy@example.test")
    gone = CustomerFactory(full_name="Gail Gone", email="gone@example.test")
    sink.refuse("busy@example.test", 451, times=1)
    sink.refuse("gone@example.test", 550)
    # A line of the text that starts with a dot must reach the customer as written.
    _, _, rows = write_bulk([ana, busy, gone], body="{{ salutation }},\n\n.NET outage: engineers are on site.\n")
    ids = [row.pk for row in rows]

    assert outbox_sending.send_pending(ids) == {"sent": 1, "failed": 1, "retry": 1}
    assert outbox_sending.send_pending(ids) == {"sent": 1, "failed": 0, "retry": 0}  # busy, the second time
    assert sorted(m["To"] for m in sink.messages) == ["Ana Lima <ana@example.test>", "Bo Busy <busy@example.test>"]
    assert all(
        m.get_payload(decode=True).decode().endswith("\r\n.NET outage: engineers are on site.\r\n")
        for m in sink.messages
    )
    assert "550" in OutboundEmail.objects.get(customer=gone).last_error
    # Four messages tried (busy twice) over two connections: MAIL, RCPT and DATA in one write when pipelined,
    # one write each otherwise.
    messages = [w for w in writes if w.lstrip().upper().startswith(b"MAIL FROM")]
    assert len(messages) == 4
    assert all(b"RCPT TO" in w and b"DATA" in w for w in messages) == pipelining


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_server_closing_with_421_mid_bulk_leaves_the_rest_to_try_again(sink, pipelining):
    sink.pipelining = pipelining
    first, closing, last = (CustomerFactory(email=f"{name}@example.test") for name in ("first", "closing", "last"))
    sink.refuse("closing@example.test", 421, times=1)
    _, _, rows = write_bulk([first, closing, last])
    ids = [row.pk for row in rows]

    # The connection is closed after the 421: the rest wait for a new one, none is failed.
    assert outbox_sending.send_pending(ids) == {"sent": 1, "failed": 0, "retry": 2}
    assert outbox_sending.send_pending(ids) == {"sent": 2, "failed": 0, "retry": 0}
    assert sorted(sink.attempts) == ["closing@example.test", "first@example.test", "last@example.test"]
    assert sink.count() == 3
