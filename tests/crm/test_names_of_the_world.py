"""Names and titles from many locales, through the staff API and the public complaint API: stored byte
for byte as written, refused never, greeted with the title and the name that goes with it."""

import pytest
from django.core.cache import cache

from crm.models import Customer, OutboundEmail
from crm.names import normalise_title

pytestmark = pytest.mark.django_db

# (locale, full name as written, title as chosen, name after the title, greeting it gives)
PEOPLE = [
    ("ja", "山本\u3000英樹", "様", "山本", "Dear 様 山本"),  # the ideographic space a Japanese IME types
    ("zh", "王秀英", "女士", "王", "Dear 女士 王"),
    ("ko", "김민준", "님", "김민준", "Dear 님 김민준"),
    ("ta", "முருகன் சுப்பிரமணியம்", "திரு", "முருகன்", "Dear திரு முருகன்"),
    ("bn", "রবীন্দ্রনাথ ঠাকুর", "শ্রী", "ঠাকুর", "Dear শ্রী ঠাকুর"),
    ("hi", "अंजलि शर्मा", "श्रीमती", "शर्मा", "Dear श्रीमती शर्मा"),
    ("ar", "فاطمة الزهراء", "السيّدة", "الزهراء", "Dear السيّدة الزهراء"),
    ("he", "שרה כהן", "גב'", "כהן", "Dear גב' כהן"),
    ("fa", "زهرا\u200cسادات رضایی", "خانم", "رضایی", "Dear خانم رضایی"),  # ZWNJ inside the name
    ("th", "สมชาย ใจดี", "คุณ", "สมชาย", "Dear คุณ สมชาย"),
    ("vi", "Nguyễn Thị Minh Khai", "Bà", "Khai", "Dear Bà Khai"),
    ("el", "Γιώργος Παπαδόπουλος", "κ.", "Παπαδόπουλος", "Dear κ. Παπαδόπουλος"),
    ("ru", "Анна Иванова", "г-жа", "Иванова", "Dear г-жа Иванова"),
    ("uk", "Олекса́ндр Ковале́нко", "пан", "Коваленко", "Dear пан Коваленко"),
    ("ka", "ნინო ბერიძე", "ქალბატონი", "ბერიძე", "Dear ქალბატონი ბერიძე"),
    ("am", "አበበ ቢቂላ", "አቶ", "አበበ", "Dear አቶ አበበ"),
    ("tr", "İlknur Işık", "Bayan", "Işık", "Dear Bayan Işık"),
    ("de", "Jürgen Groß", "Herr Dr.", "Groß", "Dear Herr Dr. Groß"),
    ("pl", "Małgorzata Wójcik-Żak", "Pani", "Wójcik-Żak", "Dear Pani Wójcik-Żak"),
    ("ga", "Siobhán Ní Bhriain", "Ms", "Ní Bhriain", "Dear Ms Ní Bhriain"),
    ("haw", "Kaʻiulani Kealoha", "", "", "Dear Kaʻiulani Kealoha"),
    ("yo", "Adéwálé Ògúnlẹ̀yẹ", "Ọ̀gbẹ́ni", "Ògúnlẹ̀yẹ", "Dear Ọ̀gbẹ́ni Ògúnlẹ̀yẹ"),  # combining marks
    ("es", "María José Núñez", "Sra.", "Núñez", "Dear Sra. Núñez"),
    ("en", "Mary-Jane O'Sullivan", "Dr", "O'Sullivan", "Dear Dr O'Sullivan"),
]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.mark.parametrize(("locale", "name", "title", "formal", "greeting"), PEOPLE, ids=[p[0] for p in PEOPLE])
def test_the_staff_api_keeps_every_name_and_title_as_written(api_as, alice, locale, name, title, formal, greeting):
    body = {"full_name": name, "title": title, "formal_name": formal, "email": f"{locale}@example.test"}
    response = api_as(alice).post("/api/v1/customers/", body, format="json")
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["id"])
    assert (customer.full_name, customer.title, customer.formal_name) == (name, title, formal)
    assert customer.salutation == greeting


@pytest.mark.parametrize(("locale", "name", "title", "formal", "greeting"), PEOPLE, ids=[p[0] for p in PEOPLE])
def test_the_public_api_keeps_every_name_and_greets_the_complainant_correctly(
    api, locale, name, title, formal, greeting
):
    body = {"name": name, "title": title, "email": f"{locale}@example.test", "description": "It broke."}
    assert api.post("/api/v1/public/complaints/", body, format="json").status_code == 201
    customer = Customer.objects.get(email=f"{locale}@example.test")
    assert (customer.full_name, customer.title) == (name, title)
    [ack] = OutboundEmail.objects.filter(customer=customer)
    # The public form asks for no name after the title, so the full name greets them, as written.
    assert ack.body_text.startswith(f"Dear {name},")
    assert (ack.to_name, ack.to_email) == (name, f"{locale}@example.test")


@pytest.mark.parametrize("title", ["திரு", "শ্রী", "السيّدة", "श्रीमती", "Ọ̀gbẹ́ni", "גב'", "κ.", "Herr Dr.", "d’Avila"])
def test_titles_in_any_script_with_their_marks_are_accepted_as_written(title):
    assert normalise_title(title) == title


@pytest.mark.parametrize("title", ["Mr1", "<b>", "Dr;", "@", "Mr\u0000", "Mr\u2028x", "１２３", "💐"])
def test_what_is_not_letters_marks_spaces_dots_hyphens_or_apostrophes_is_not_a_title(title):
    with pytest.raises(ValueError, match="title"):
        normalise_title(title)


def test_the_ideographic_space_stays_an_ideographic_space(api_as, alice):
    response = api_as(alice).post("/api/v1/customers/", {"full_name": "  山本\u3000英樹 "}, format="json")
    assert Customer.objects.get(pk=response.json()["id"]).full_name == "山本\u3000英樹"
