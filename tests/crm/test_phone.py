import pytest
from django.core.exceptions import ValidationError

from crm.phone import is_sms_capable, normalize_phone, phone_query_digits


@pytest.mark.parametrize("raw", ["0812-3456-7890", "081234567890", "6281234567890", "+62 812 3456 7890",
                                 " (0812) 3456 7890 "])
def test_it_normalises_indonesian_mobile_input_to_e164(raw):
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["12345", "abc", "0812", "+62 999"])
def test_it_rejects_invalid_numbers_with_a_message(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert raw.strip() in str(exc.value.messages)


def test_it_tells_landlines_from_mobiles():
    landline = normalize_phone("(021) 5551234")
    assert landline == "+62215551234"
    assert not is_sms_capable(landline)
    assert is_sms_capable("+6281234567890")


@pytest.mark.parametrize("query,digits", [("7890", "7890"), ("0812-345", "0812345"), ("+62 812", "62812"),
                                          ("budi", None), ("12", None), ("B 1234", None)])
def test_it_reads_phone_like_search_queries(query, digits):
    assert phone_query_digits(query) == digits
