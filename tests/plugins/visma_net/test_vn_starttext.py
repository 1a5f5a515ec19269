"""Start text: the key=value lines users paste, and the structured form."""

from __future__ import annotations

import pytest

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.visma_net.starttext import (
    StartText,
    load_start_text,
    parse_start_text,
    start_text_from_settings,
)

ALL_LINES = """
overrideNumberSeries=true
disableCustomerExport=false
disableCustomerUpdate=TRUE
dontEmail=True
dontPrint=false
sendToAutoInvoice=true
paymentMethodId=OCR-OPTER
useCustomerClass=true
periodDateSource=AccountingDate
includeExchangeRate=false
vatCustomerClassMapping={"25%": "10","12%": "10","6%": "10","CV": "10","EU": "20","0%": "30"}
"""


def test_every_setting_is_parsed() -> None:
    st = parse_start_text(ALL_LINES)
    assert st.override_number_series is True
    assert st.disable_customer_export is False
    assert st.disable_customer_update is True
    assert st.dont_email is True
    assert st.dont_print is False
    assert st.send_to_auto_invoice is True
    assert st.payment_method_id == "OCR-OPTER"
    assert st.use_customer_class is True
    assert st.period_date_source == "AccountingDate"
    assert st.include_exchange_rate is False
    assert dict(st.vat_customer_class_mapping or {}) == {
        "25%": "10",
        "12%": "10",
        "6%": "10",
        "CV": "10",
        "EU": "20",
        "0%": "30",
    }


def test_empty_text_leaves_every_setting_to_visma_net() -> None:
    assert parse_start_text("") == StartText()
    assert parse_start_text("\n   \n\t\n") == StartText()


def test_blank_lines_surrounding_spaces_and_crlf_are_ignored() -> None:
    st = parse_start_text("\r\n   dontPrint = true  \r\n\r\n\u00a0paymentMethodId =  BG \r\n")
    assert st == StartText(dont_print=True, payment_method_id="BG")


def test_typographic_quotes_from_the_help_page_are_normalised() -> None:
    pasted = "vatCustomerClassMapping={“25%”: “10”,“EU”: “20“}"
    st = parse_start_text(pasted)
    assert dict(st.vat_customer_class_mapping or {}) == {"25%": "10", "EU": "20"}


def test_frozen() -> None:
    st = parse_start_text("dontEmail=true")
    with pytest.raises(AttributeError):
        st.dont_email = False  # type: ignore[misc]


def test_every_problem_is_reported_with_line_key_value_rule() -> None:
    text = "\n".join(
        [
            "overrideNumberSeries=true/false",  # line 1: pasted from the help page
            "dontEmial=true",  # line 2: typo
            "periodDateSource=InvoiceDate",  # line 3
            'vatCustomerClassMapping={"25%": "10",}',  # line 4: bad JSON
            "dontPrint",  # line 5: no '='
            "dontEmail=true",
            "dontEmail=false",  # line 7: twice
        ]
    )
    with pytest.raises(ConfigError) as caught:
        parse_start_text(text)
    problems = caught.value.problems
    assert len(problems) == 6
    assert problems[0].startswith("key 'startText' line 1: overrideNumberSeries=true/false")
    assert "must be true or false" in problems[0]
    assert (
        problems[1].startswith("key 'startText' line 2: dontEmial=true")
        and "did you mean dontEmail?" in problems[1]
    )
    assert problems[2].startswith("key 'startText' line 3: periodDateSource=InvoiceDate")
    assert "CreateDate or AccountingDate" in problems[2]
    assert (
        problems[3].startswith("key 'startText' line 4: vatCustomerClassMapping=")
        and "JSON" in problems[3]
    )
    assert problems[4].startswith("key 'startText' line 5:") and "key=value" in problems[4]
    assert (
        problems[5].startswith("key 'startText' line 7: dontEmail=false")
        and "line 6" in problems[5]
    )
    assert "6 problems" in str(caught.value)


def test_wrong_case_key_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_start_text("OverrideNumberSeries=true")
    assert "did you mean overrideNumberSeries?" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('["25%", "10"]', "JSON object"),
        ('{"25%": 10}', "in double quotes"),
        ('{"25%": "CLASS-TOO-LONG"}', "at most 10 characters"),
    ],
)
def test_class_mapping_rules(value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_start_text(f"vatCustomerClassMapping={value}")
    assert fragment in caught.value.problems[0]


def test_empty_payment_method_is_an_error() -> None:
    with pytest.raises(ConfigError, match="payment method"):
        parse_start_text("paymentMethodId=")


def test_structured_form_gives_the_same_result() -> None:
    st = start_text_from_settings(
        {
            "overrideNumberSeries": True,
            "dontEmail": "false",
            "periodDateSource": "CreateDate",
            "vatCustomerClassMapping": {"EU": "20"},
        }
    )
    assert st == parse_start_text(
        "overrideNumberSeries=true\ndontEmail=false\nperiodDateSource=CreateDate\n"
        'vatCustomerClassMapping={"EU": "20"}'
    )


def test_structured_form_reports_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ConfigError) as caught:
        start_text_from_settings({"dontemail": True, "periodDateSource": "Today"})
    assert len(caught.value.problems) == 2
    assert "did you mean dontEmail?" in caught.value.problems[0]


def test_config_takes_one_form_only() -> None:
    assert load_start_text({}) == StartText()
    assert load_start_text({"startText": "dontPrint=true"}).dont_print is True
    assert load_start_text({"startTextSettings": {"dontPrint": True}}).dont_print is True
    with pytest.raises(ConfigError, match="twice"):
        load_start_text({"startText": "", "startTextSettings": {}})
