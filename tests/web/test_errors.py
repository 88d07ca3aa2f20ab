"""Error pages: a message in the user's language, never a traceback."""


def test_unknown_page_is_a_friendly_404(client, world):
    response = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "不存在" in text and "<html lang=\"zh-CN\">" in text


def test_an_unexpected_error_is_a_friendly_500_without_traceback(app, client, world):
    def boom():
        raise RuntimeError("secret internals")
    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Nothing was changed" in text and "secret internals" not in text and "Traceback" not in text


def test_wrong_method_is_405_with_allow_header(client, world):
    response = client.get("/auth/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_json_clients_get_json_errors(client, world):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["status"] == 404
