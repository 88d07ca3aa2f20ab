from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from linkage.forms import Form


class CloseFollowUpForm(Form):
    note = TextAreaField(_l("What was done"), validators=[
        DataRequired(message=_l("Say what was done.")), Length(max=2000)])
