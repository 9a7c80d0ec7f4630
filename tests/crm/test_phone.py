"""crm/phone.py: what staff type into a phone field becomes one E.164 number, or a clear error."""

import pytest
from django.core.exceptions import ValidationError

from crm.phone import format_phone_grouped, is_sms_capable, normalize_phone, phone_query_digits, phone_search_keys


@pytest.mark.parametrize("raw", ["0812-3456-7890", "081234567890", "6281234567890", "+62 812 3456 7890",
                                 "+6281234567890", " (0812) 3456 7890 ", "0812.3456.7890"])
def test_it_normalises_indonesian_mobile_input_to_e164(raw):
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw,message", [
    ("12345", "“12345” is not a valid phone number (example: 0812-3456-7890)."),
    ("0812", "“0812” is not a valid phone number (example: 0812-3456-7890)."),
    ("+62 999", "“+62 999” is not a valid phone number (example: 0812-3456-7890)."),
    ("abc", "“abc” is not a phone number."),
    ("0812-3456-7890-1234-5678", "“0812-3456-7890-1234-5678” is not a phone number."),
])
def test_it_rejects_invalid_numbers_with_a_message_naming_the_input(raw, message):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert exc.value.messages == [message]


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_it_keeps_an_empty_phone_empty(raw):
    assert normalize_phone(raw) == ""


def test_it_stores_a_jakarta_landline_but_knows_it_cannot_take_sms():
    landline = normalize_phone("(021) 5551234")
    assert landline == "+62215551234"
    assert is_sms_capable(landline) is False
    assert is_sms_capable(normalize_phone("0812-3456-7890")) is True
    assert is_sms_capable("") is False


def test_it_shows_a_stored_number_in_international_format():
    assert format_phone_grouped("+6281234567890") == "+62 812-3456-7890"
    assert format_phone_grouped("") == ""


def test_it_indexes_a_number_in_both_the_e164_and_the_national_form():
    assert phone_search_keys("+6281234567890") == "6281234567890 081234567890"
    assert phone_search_keys("") == ""


@pytest.mark.parametrize("query,digits", [
    ("7890", "7890"), ("0812-345", "0812345"), ("+62 812", "62812"), ("(021) 555", "021555"),
    ("budi", None), ("12", None), ("B 1234", None), ("", None), ("   ", None),
])
def test_it_reads_phone_like_search_queries_as_digits(query, digits):
    assert phone_query_digits(query) == digits
