"""One way to send bytes as a named download (``linkage.downloads``), whatever the area."""
from urllib.parse import unquote

from linkage.downloads import disposition, send_attachment


def test_an_ascii_name_is_sent_as_it_is():
    assert disposition("on-time-20261130.csv") == 'attachment; filename="on-time-20261130.csv"'


def test_a_chinese_name_is_sent_in_utf8_with_an_ascii_stand_in():
    value = disposition("监护人同意书 - 王小明.pdf")
    plain, encoded = value.split("; filename*=UTF-8''")
    assert plain == 'attachment; filename=" - .pdf"'
    assert unquote(encoded) == "监护人同意书 - 王小明.pdf" and encoded.isascii() and " " not in encoded


def test_quotes_and_control_characters_cannot_break_the_header():
    value = disposition('a"b\\c\r\nX-Evil: 1.pdf')
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="a\\"b\\\\cX-Evil: 1.pdf"')


def test_the_response_is_an_uncached_attachment_of_the_named_type(app):
    with app.test_request_context():
        response = send_attachment(b"%PDF-1.4", "证明.pdf")
        assert response.mimetype == "application/pdf" and response.get_data() == b"%PDF-1.4"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"].startswith("attachment; ")
        assert send_attachment(b"x", "shift-1.ics", "text/calendar").content_type == "text/calendar; charset=utf-8"
        assert send_attachment(b"x", "noname").mimetype == "application/octet-stream"
