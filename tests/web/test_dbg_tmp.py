import pytest, re
from tests.web.test_hostile_fields import CASES, _fresh_page
@pytest.mark.parametrize("which", ["projects.new", "projects.bid"])
def test_dbg(app, world, which):
    case = next(c for c in CASES if c.endpoint == which)
    client = app.test_client()
    target, form, fill = _fresh_page(case, world, client, 900)
    data = {**form.submission(), **case.fill(world, 900), **fill}
    r = client.post(target, data=data)
    page = r.get_data(as_text=True)
    print(data)
    for m in re.finditer(r'is-invalid|invalid-feedback|text-danger', page):
        print(page[m.start()-300:m.start()+300].replace("\n"," "))
