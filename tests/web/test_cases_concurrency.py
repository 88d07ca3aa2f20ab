"""Two openings at once: the resident's row and the owner's row are locked, so a resident never gets two
open cases and a caseload never goes past its limit, however the requests interleave."""
import pytest
import sqlalchemy as sa

from linkage.cases import services
from linkage.errors import Refused
from linkage.extensions import db
from linkage.models import Case, CaseStatus, Need, SocialWorker, User
from tests.web.test_cases_support import another_resident, case_people, professional_need
from tests.web.test_signup_concurrency import run_together

THREADS = 6


@pytest.fixture
def people(world):
    p = case_people(world)
    db.session.commit()
    return p


def _opener(app, worker_id):
    def open_one(need_id):
        with app.app_context():
            worker = db.session.get(SocialWorker, worker_id)
            try:
                case = services.open_case([db.session.get(Need, need_id)], worker,
                                          actor=db.session.get(User, worker.user_id))
                db.session.commit()
                return case.id
            except Refused:
                db.session.rollback()
                return None
            finally:
                db.session.remove()
    return open_one


def test_one_resident_never_gets_two_open_cases(app, world, people):
    need_ids = [professional_need(world, people.project, title=f"Need {i}").id for i in range(THREADS)]
    db.session.commit()
    worker_id = people.worker.id
    db.session.close()
    opened = run_together(_opener(app, worker_id), need_ids)
    assert sum(1 for case_id in opened if case_id) == 1
    assert db.session.scalar(sa.select(sa.func.count(Case.id)).where(Case.status == CaseStatus.open)) == 1


def test_the_caseload_limit_holds_under_concurrent_openings(app, world, people):
    people.worker.caseload_limit = 2
    need_ids = [professional_need(world, people.project, resident=another_resident(world, f"Resident {i}")).id
                for i in range(THREADS)]
    db.session.commit()
    worker_id = people.worker.id
    db.session.close()
    opened = run_together(_opener(app, worker_id), need_ids)
    assert sum(1 for case_id in opened if case_id) == 2
    assert db.session.scalar(sa.select(sa.func.count(Case.id)).where(Case.owner_id == worker_id)) == 2
