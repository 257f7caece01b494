"""``/audit``: lookup, verify, query and digests over HTTP; the request's origin in each record."""

from __future__ import annotations

import json

import sqlalchemy as sa
from api_helpers import PEER, USER, assert_error, policy
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.sdk import Bastion


def test_lookup_filters_and_pages(client: TestClient) -> None:
    for _ in range(3):
        client.post("/kms/keys")
    r = client.get("/audit/events", params={"event-name": "CreateKey", "max-results": 2})
    assert r.status_code == 200
    page = r.json()
    assert [e["EventName"] for e in page["Events"]] == ["CreateKey", "CreateKey"]
    assert page["NextToken"]
    more = client.get(
        "/audit/events",
        params={"event-name": "CreateKey", "max-results": 2, "next-token": page["NextToken"]},
    ).json()
    assert len(more["Events"]) == 1 and more["NextToken"] is None
    record = json.loads(page["Events"][0]["CloudTrailEvent"])
    assert record["eventSource"] == "kms.amazonaws.com"
    by_source = client.get("/audit/events", params={"event-source": "kms", "read-only": "false"})
    assert {e["EventName"] for e in by_source.json()["Events"]} == {"CreateKey"}


def test_lookup_time_range(client: TestClient) -> None:
    client.post("/kms/keys")
    inside = client.get(
        "/audit/events",
        params={"start-time": "2025-01-01T00:00:00Z", "end-time": "2027-01-01T00:00:00Z"},
    ).json()["Events"]
    assert inside
    before = client.get("/audit/events", params={"end-time": "2000-01-01T00:00:00Z"}).json()[
        "Events"
    ]
    assert before == []


def test_lookup_bad_input_is_400(client: TestClient) -> None:
    for params, field in (
        ({"max-results": 0}, "max_results"),
        ({"max-results": 100_000}, "max_results"),
        ({"next-token": "abc"}, "next_token"),
        ({"start-time": "yesterday"}, "start-time"),
        ({"read-only": "maybe"}, "read-only"),
    ):
        r = client.get("/audit/events", params=params)
        assert r.status_code == 400, params
        assert_error(r.json(), status=400, code="invalid", field=field)


def test_verify_finds_tampering(client: TestClient, bastion: Bastion) -> None:
    client.post("/kms/keys")
    ok = client.post("/audit/verify").json()
    assert ok["Ok"] is True and ok["RecordsChecked"] >= 1
    with bastion.runtime.db.write() as conn:
        first = conn.execute(sa.text("SELECT seq, record FROM audit_events ORDER BY seq")).first()
        assert first is not None
        record = json.loads(first.record)
        record["eventName"] = "DeleteKey"
        edited = json.dumps(record)
        conn.execute(
            sa.text("UPDATE audit_events SET record = :r WHERE seq = :s"),
            {"r": edited, "s": first.seq},
        )
    bad = client.post("/audit/verify").json()
    assert bad["Ok"] is False
    assert bad["FirstBadSequence"] == first.seq


def test_query(client: TestClient) -> None:
    client.post("/kms/keys")
    r = client.post(
        "/audit/query",
        json={
            "QueryStatement": "SELECT event_name, count(*) AS n, max(event_time) AS t "
            "FROM events GROUP BY event_name ORDER BY event_name"
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Columns"] == ["event_name", "n", "t"]
    assert ["CreateKey", 1] in [row[:2] for row in body["Rows"]]


def test_query_refuses_writes_and_files(client: TestClient) -> None:
    for sql in (
        "DELETE FROM events",
        "SELECT 1; SELECT 2",
        "SELECT * FROM read_text('/etc/passwd')",
        "COPY events TO '/tmp/x.csv'",
        "not sql at all",
    ):
        r = client.post("/audit/query", json={"QueryStatement": sql})
        assert r.status_code == 400, (sql, r.text)
        assert r.json()["code"] == "invalid"


def test_query_values_become_json(client: TestClient) -> None:
    sql = (
        "SELECT 'nan'::DOUBLE AS f, 'infinity'::DOUBLE AS g, 1.5::DECIMAL(4,2) AS d, "
        "'\\x41'::BLOB AS b, DATE '2026-01-02' AS day, INTERVAL 1 DAY AS span, [1, 2] AS l, "
        "{'k': 1} AS s, uuid() IS NOT NULL AS u FROM events LIMIT 1"
    )
    client.post("/kms/keys")
    r = client.post("/audit/query", json={"QueryStatement": sql})
    assert r.status_code == 200, r.text
    row = r.json()["Rows"][0]
    assert row[0] == "nan" and row[1] == "inf"
    assert row[2] == "1.50" and row[4] == "2026-01-02"
    assert row[6] == [1, 2] and row[7] == {"k": 1} and row[8] is True


def test_digest(client: TestClient) -> None:
    client.post("/kms/keys")
    r = client.post("/audit/digests")
    assert r.status_code == 200
    digest = r.json()
    assert digest["RecordCount"] >= 1 and len(digest["Signature"]) == 128
    assert client.post("/audit/verify").json()["DigestsChecked"] >= 1


def test_records_name_the_real_peer_and_agent(
    app: FastAPI, owner_token: str, bastion: Bastion
) -> None:
    headers = {
        "Authorization": f"Bearer {owner_token}",
        "User-Agent": "fraud-client/2.0",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
    }
    with TestClient(app, client=("10.1.2.3", 40000), headers=headers) as c:
        assert c.post("/kms/keys").status_code == 200
    record = bastion.audit.lookup(event_name="CreateKey", max_results=1).events[0]
    event = record.cloudtrail_event()
    assert event["sourceIPAddress"] == "10.1.2.3"
    assert event["userAgent"] == "fraud-client/2.0"


def _list_keys_only_if(bastion: Bastion, condition: dict[str, object]) -> None:
    bastion.access.put_user_policy(
        USER,
        "conditional",
        policy(
            {"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*", "Condition": condition}
        ),
    )


def test_source_ip_conditions_see_the_real_peer(
    app: FastAPI, user_token: str, bastion: Bastion
) -> None:
    _list_keys_only_if(bastion, {"IpAddress": {"aws:SourceIp": "10.1.2.0/24"}})
    auth = {"Authorization": f"Bearer {user_token}"}
    with TestClient(app, client=("10.1.2.3", 40000), headers=auth) as c:
        assert c.get("/kms/keys").status_code == 200
    spoofed = {**auth, "X-Forwarded-For": "10.1.2.3", "X-Real-IP": "10.1.2.3"}
    with TestClient(app, client=("127.0.0.1", 40000), headers=spoofed) as c:
        assert c.get("/kms/keys").status_code == 403


def test_secure_transport_conditions_follow_the_scheme(
    app: FastAPI, user_token: str, bastion: Bastion
) -> None:
    _list_keys_only_if(bastion, {"Bool": {"aws:SecureTransport": "true"}})
    auth = {"Authorization": f"Bearer {user_token}"}
    with TestClient(app, client=PEER, base_url="https://testserver", headers=auth) as c:
        assert c.get("/kms/keys").status_code == 200
    plain = {**auth, "X-Forwarded-Proto": "https"}
    with TestClient(app, client=PEER, base_url="http://testserver", headers=plain) as c:
        r = c.get("/kms/keys")
    assert_error(r.json(), status=403, code="access-denied")
