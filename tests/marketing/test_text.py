import pytest
from django.core.exceptions import ValidationError

from marketing.text import compile_template, render, sms_length


@pytest.mark.parametrize("text,encoding,segments", [
    ("a" * 160, "GSM-7", 1), ("a" * 161, "GSM-7", 2), ("a" * 306, "GSM-7", 2), ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1), ("€" * 81, "GSM-7", 2),  # extension characters count twice
    ("Halo Budi, mobil Anda sudah siap ✓", "UCS-2", 1), ("ä" * 160, "GSM-7", 1),
    ("ñ" * 5 + "😀" * 33, "UCS-2", 2), ("😀" * 35, "UCS-2", 1), ("😀" * 36, "UCS-2", 2), ("", "GSM-7", 0),
])
def test_it_counts_sms_segments(text, encoding, segments):
    length = sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_it_inserts_customer_values_as_plain_text():
    template = compile_template("Halo {{ first_name }}, {{ vehicle_plate }} siap.")
    text = render(template, {"first_name": "{{ name }}{% load static %}<b>", "vehicle_plate": "B 1 AB"})
    assert text == "Halo {{ name }}{% load static %}<b>, B 1 AB siap."


@pytest.mark.parametrize("body,message", [
    ("Halo {{ password }}", "Unknown placeholder(s): password"),
    ("{% load static %}Halo", "Template tags"),
    ("Halo {{ first_name|upper }}", "Unknown placeholder(s): first_name|upper"),
])
def test_it_refuses_bad_templates_with_a_message(body, message):
    with pytest.raises(ValidationError) as exc:
        compile_template(body)
    assert message in " ".join(exc.value.messages)
