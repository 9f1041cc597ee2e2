"""How a fragment is kept: the HTML raw after a line of JSON, the CSRF token as a marker that
each hit replaces with the requester's own token."""

from __future__ import annotations

from flask import g

from portal.ops.cache import _fragment_from, _stored_fragment


def test_a_fragment_comes_back_whole_with_the_readers_own_token(app):
    with app.test_request_context("/"):
        from flask_wtf.csrf import generate_csrf

        writer_token = generate_csrf()
        value = {
            "html": f'<p>line one\nline "two"</p><input value="{writer_token}">',
            "ids": [1, 2],
            "form": f"token={writer_token}",
        }
        stored = _stored_fragment(value, g.get("csrf_token"))
        assert writer_token.encode() not in stored
        assert b'<p>line one\nline "two"</p>' in stored  # raw HTML, not a JSON string
    with app.test_request_context("/"):
        reader_token = generate_csrf()
        back = _fragment_from(stored)
    assert reader_token != writer_token
    assert back == {
        "html": f'<p>line one\nline "two"</p><input value="{reader_token}">',
        "ids": [1, 2],
        "form": f"token={reader_token}",
    }


def test_fragments_without_html_or_token_come_back_unchanged(app):
    with app.test_request_context("/"):
        for value in ({"count": 3}, {"html": None, "x": "y"}, {"html": ""}):
            assert _fragment_from(_stored_fragment(value, None)) == value
