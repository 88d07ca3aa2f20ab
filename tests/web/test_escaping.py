"""Typed text inside a translated message is escaped when a page shows it."""
from flask import render_template_string
from flask_babel import lazy_gettext as _l


def test_lazy_translation_with_typed_text_is_escaped(app):
    message = _l("%(name)s is blacklisted", name="<script>alert(1)</script>")
    with app.test_request_context("/"):
        html = render_template_string("{{ message }}", message=message)
    assert "<script>" not in html and "&lt;script&gt;" in html
