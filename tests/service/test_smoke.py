def test_operator_logs_a_call(as_user):
    op = as_user("operator")
    from tests.service.helpers import appeal_payload

    r = op.post("/api/v1/appeals", json=appeal_payload())
    assert r.status_code == 201, r.json
    assert r.json["number"].startswith("GX")
