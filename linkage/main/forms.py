"""The notifications list's search and filters."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from linkage import notifications
from linkage.forms import choices
from linkage.listing import ListFilters


class NotificationFilters(ListFilters):
    """Search the messages as shown; all or only the unread; what they are about."""
    show = SelectField(_l("Show"), choices=choices([("", _l("All")), ("unread", _l("Unread only"))]),
                       validators=[Optional()])
    kind = SelectField(_l("About"), choices=choices(
        [("", _l("All"))] + [(group, label) for group, (label, _starts) in notifications.GROUPS.items()]),
        validators=[Optional()])
