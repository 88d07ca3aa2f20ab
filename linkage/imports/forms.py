"""Forms of the import pages: the upload, and the confirmation of a previewed file."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from linkage.forms import Form


class UploadForm(Form):
    file = FileField(_l("Filled-in template (.xlsx or .csv)"))


class ConfirmForm(Form):
    """Only the CSRF token: the file itself is kept on the server under its token."""
