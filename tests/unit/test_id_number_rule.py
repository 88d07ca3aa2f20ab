"""The one rule for a typed resident ID number (``read_id_number``), and the forms' validator that calls it."""
from datetime import date

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from linkage.identifiers import ID_NUMBER_PROBLEMS, id_number_problem, read_id_number, resident_id_check_char


def _number(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


VALID = _number("31010119800517123")


def test_a_valid_number_is_normalized_and_read(app):
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in "11010519491231002") + "ｘ"
    number, info, problem = read_id_number(f" {full_width} ")
    assert (number, problem) == ("11010519491231002X", None)
    assert info.birth_date == date(1949, 12, 31) and info.gender == "F"
    number, info, problem = read_id_number(VALID.lower())
    assert (number, problem, info.gender, info.birth_date) == (VALID, None, "M", date(1980, 5, 17))


@pytest.mark.parametrize("text, problem", [
    (VALID[:17] + ("1" if VALID[17] != "1" else "2"), "check"),           # bad check character
    (_number("31010119990230123"), "birth_date"),                          # 30 February
    (_number("31010118991231123"), "birth_date"),                          # before 1900
    (VALID[:17], "length"),                                                # 17 characters
    (VALID + "1", "length"),                                               # 19 characters
    ("", "length"),
    ("1101051949123100AX", "characters"),
    ("11010519491231002Y", "characters"),
])
def test_an_invalid_number_gives_its_own_message_in_both_languages(app, text, problem):
    number, info, message = read_id_number(text)
    assert info is None and number == text.upper()
    assert message is ID_NUMBER_PROBLEMS[problem]
    assert id_number_problem(text) is message
    with app.test_request_context():
        with force_locale("en"):
            english = str(message)
        with force_locale("zh_CN"):
            chinese = str(message)
    assert english and chinese and english != chinese
    assert len({str(m) for m in ID_NUMBER_PROBLEMS.values()}) == len(ID_NUMBER_PROBLEMS)


def test_the_message_for_each_problem_says_what_is_wrong(app):
    with app.test_request_context(), force_locale("en"):
        assert "18 characters" in str(read_id_number("123")[2])
        assert "birth date" in str(read_id_number(_number("31010119990230123"))[2])
        assert "last character" in str(read_id_number(VALID[:17] + ("0" if VALID[17] != "0" else "1"))[2])


def _errors(form_class, data) -> list[str]:
    """The ID number's errors of ``form_class`` posted with ``data`` (choices the views would fill left empty)."""
    form = form_class(formdata=MultiDict(data), meta={"csrf": False})
    for field in form:
        if getattr(field, "choices", ()) is None:
            field.choices = []
    form.validate()
    return [str(error) for error in form.id_number.errors]


def test_every_form_with_an_id_number_refuses_with_the_rules_message(app):
    from linkage.auth.forms import RegisterForm
    from linkage.community.forms import ResidentForm
    from linkage.volunteers.forms import ProfileForm

    bad = VALID[:17] + ("1" if VALID[17] != "1" else "2")
    with app.test_request_context(method="POST"):
        with force_locale("en"):
            expected = str(id_number_problem(bad))
            for form_class, extra in ((ResidentForm, {}), (ProfileForm, {}), (RegisterForm, {"role": "volunteer"})):
                assert _errors(form_class, {"id_number": bad, **extra}) == [expected], form_class
                assert _errors(form_class, {"id_number": VALID, **extra}) == [], form_class
            # A resident registering need not give one, and one they give is not checked as a volunteer's.
            assert _errors(RegisterForm, {"id_number": bad, "role": "resident"}) == []
            assert _errors(ProfileForm, {"id_number": ""}) == []
