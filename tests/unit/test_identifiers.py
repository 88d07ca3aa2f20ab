"""Check characters of unified social credit codes (GB 32100-2015) and resident ID numbers (GB 11643-1999)."""
from datetime import date, timedelta

import pytest

from linkage.identifiers import (CREDIT_CODE_ALPHABET, credit_code_check_char, credit_code_problem,
                                 parse_resident_id, resident_id_check_char)


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


# --- resident ID numbers ------------------------------------------------------------------------------------

def test_the_standards_own_example_with_check_character_x():
    info, problem = parse_resident_id("11010519491231002X")
    assert problem is None
    assert info.birth_date == date(1949, 12, 31) and info.gender == "F"  # sequence 002: even


def test_odd_sequence_is_male_and_lower_case_x_and_spaces_are_accepted():
    info, problem = parse_resident_id(" 11010119900307803x ")
    assert problem is None and info.gender == "M" and info.birth_date == date(1990, 3, 7)


@pytest.mark.parametrize("first17, check", [
    ("11010519491231002", "X"),   # Σ mod 11 = 2 → X
    ("11010119900307803", "X"),
    ("31010119500517123", "7"),
])
def test_check_character_follows_the_weights(first17, check):
    assert resident_id_check_char(first17) == check


def test_every_check_character_value_is_reachable():
    seen = {resident_id_check_char(f"3101011950051{n:04d}") for n in range(200)}
    assert seen == set("10X98765432")


@pytest.mark.parametrize("number, problem", [
    ("", "length"),
    ("11010519491231002", "length"),             # 17 characters
    ("11010519491231002X1", "length"),           # 19 characters
    ("1101051949123100AX", "characters"),        # a letter among the first 17
    ("11010519491231002Y", "characters"),        # only X may end the number
    ("11010519491231002-", "characters"),
    ("110105194912310021", "check"),             # wrong check character
    ("110105194912310020", "check"),
])
def test_invalid_numbers_say_what_is_wrong(number, problem):
    assert parse_resident_id(number) == (None, problem)


@pytest.mark.parametrize("birth", ["19990230", "19990431", "20010229", "19991301", "19990001", "19990100",
                                   "18991231"])
def test_impossible_birth_dates_are_refused_even_with_a_correct_check_character(birth):
    assert parse_resident_id(resident_id(f"310101{birth}123")) == (None, "birth_date")


def test_only_ascii_digits_are_digits():
    arabic_indic = "11010519491231002X".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert parse_resident_id(arabic_indic) == (None, "characters")


def test_leap_day_is_a_real_date_but_a_future_birth_is_not():
    info, problem = parse_resident_id(resident_id("31010120000229123"))
    assert problem is None and info.birth_date == date(2000, 2, 29)
    tomorrow = date.today() + timedelta(days=1)
    assert parse_resident_id(resident_id(f"310101{tomorrow:%Y%m%d}123")) == (None, "birth_date")


# --- unified social credit codes ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["91350100M000100Y43", "91350100m000100y43", " 91350100M000100Y43 "])
def test_a_published_valid_credit_code(code):
    assert credit_code_problem(code) is None


def test_check_character_31_maps_to_0_and_values_index_the_alphabet():
    # Search a body whose weighted sum is a multiple of 31: its check character is "0".
    for serial in range(10_000):
        body = f"52310101MJ{serial:07d}"
        if sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(
                body, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))) % 31 == 0:
            assert credit_code_check_char(body) == "0"
            assert credit_code_problem(body + "0") is None
            break
    else:
        pytest.fail("no body with a zero check character found")


@pytest.mark.parametrize("code, problem", [
    ("", "length"),
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("91350100I000100Y43", "characters"),   # I, O, S, V and Z are not used
    ("91350100O000100Y43", "characters"),
    ("91350100S000100Y43", "characters"),
    ("91350100V000100Y43", "characters"),
    ("91350100Z000100Y43", "characters"),
    ("91350100M000100Y4-", "characters"),
    ("91350100M000100Y44", "check"),
    ("91350100M000100Y34", "check"),         # two characters swapped
])
def test_invalid_credit_codes_say_what_is_wrong(code, problem):
    assert credit_code_problem(code) == problem


def test_every_body_gets_a_check_character_from_the_alphabet():
    for serial in range(300):
        body = f"51310101MJ{serial:07d}"
        check = credit_code_check_char(body)
        assert check in CREDIT_CODE_ALPHABET
        assert credit_code_problem(body + check) is None
