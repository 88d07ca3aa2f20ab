"""Every message marked for translation has a Chinese translation, and the compiled catalog is current.

The catalog lives under zh_Hans_CN: Babel reads the interface language "zh_CN" as zh_Hans_CN and looks
for that directory (then "zh")."""
import os

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from linkage import ROOT

TRANSLATIONS = os.path.join(ROOT, "linkage", "translations")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "pgettext": ((1, "c"), 2)}


def _extracted_ids():
    method_map = [("linkage/**.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map=method_map, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        if isinstance(message, (tuple, list)):
            message = message[0]
        if message:
            ids.add(message)
    return ids


def _catalog(locale):
    with open(os.path.join(TRANSLATIONS, locale, "LC_MESSAGES", "messages.po"), "rb") as handle:
        return read_po(handle, locale=locale)


def test_every_message_has_a_chinese_translation():
    catalog = _catalog("zh_Hans_CN")
    missing = sorted(m for m in _extracted_ids()
                     if m not in catalog or not catalog[m].string or catalog[m].fuzzy)
    assert not missing, f"{len(missing)} messages lack a zh_CN translation, e.g. {missing[:10]}"


def test_compiled_catalog_matches_the_source():
    catalog = _catalog("zh_Hans_CN")
    with open(os.path.join(TRANSLATIONS, "zh_Hans_CN", "LC_MESSAGES", "messages.mo"), "rb") as handle:
        compiled = read_mo(handle)
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value
    source = {key(m.id): key(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
    built = {key(m.id): key(m.string) for m in compiled if m.id}
    assert built == source, "run `make translations` to recompile the catalog"
