"""Flask extensions, created unbound; ``create_app`` binds them."""
import sqlalchemy as sa
from flask_babel import Babel
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()


def _rate_limit_key() -> str:
    """The client's address under the app's own key prefix. (flask-limiter keeps the prefix of the
    first app it served, so two apps sharing a Redis would otherwise count into each other.)"""
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}/{get_remote_address()}"


# Storage: RATELIMIT_STORAGE_URI, set by create_app (Redis when REDIS_URL is set, memory otherwise).
limiter = Limiter(_rate_limit_key)
