"""The bot's state on both engines: SQLite (default) and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import threading

import pytest

from bot.limits import RateLimiter, Verdict
from bot.store.answer_log import LoggedAnswer
from bot.store.db import database_url
from bot.store.state import State


@pytest.fixture
def state(database_url: str) -> State:
    s = State.open(database_url)
    yield s
    s.close()


def logged(chat: int, mode: str = "llm", latency: float = 100.0, **kw: object) -> LoggedAnswer:
    values: dict[str, object] = dict(
        chat_id=chat, chat_type="private", user_id=chat, language="en", mode=mode, found=True,
        latency_ms=latency, first_reply_ms=latency / 2, sources=["a1"], question="q?", answer="a.",
    )  # fmt: skip
    values.update(kw)
    return LoggedAnswer(**values)  # type: ignore[arg-type]


def test_settings_access_channels_survive_reopening(database_url: str) -> None:
    s = State.open(database_url)
    s.chats.set_chat_setting(-100, "mode", "all")
    s.chats.set_chat_setting(-100, "language", "de")
    s.chats.set_access("deny", [5])
    s.chats.set_access("allow", [7, 8])
    s.chats.set_access("allow", [5])  # moves 5 from deny to allow
    s.chats.add_channel(-1009, "News", "news", 42)
    s.close()
    s = State.open(database_url)  # a restart, or another process
    assert (
        s.chats.chat_settings(-100).mode == "all" and s.chats.chat_settings(-100).language == "de"
    )
    assert (
        s.chats.chat_settings(-100).length == "normal"
        and s.chats.chat_settings(-1).mode == "mention"
    )
    assert s.chats.access("allow") == [5, 7, 8] and s.chats.access("deny") == []
    assert s.chats.is_served(7, 7) and not s.chats.is_served(9, 9) and s.chats.is_served(-100, 8)
    assert (
        s.chats.channel(-1009)["title"] == "News"
        and s.chats.remove_channel(-1009)
        and s.chats.channels() == []
    )
    with pytest.raises(ValueError):
        s.chats.set_chat_setting(-100, "mode", "shout")
    s.close()


def test_two_admins_changing_different_settings_at_once_keep_both(state: State) -> None:
    """A read-then-write lost one of two simultaneous presses (seen as a flaky bot test)."""
    keys = [("mode", "all"), ("length", "short"), ("language", "fr")]
    for chat in range(-1, -31, -1):
        threads = [
            threading.Thread(target=state.chats.set_chat_setting, args=(chat, k, v))
            for k, v in keys
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        got = state.chats.chat_settings(chat)
        assert (got.mode, got.length, got.language) == ("all", "short", "fr"), chat


def test_answer_log_history_feedback_and_stats(state: State) -> None:
    a1 = state.log.log_answer(logged(1, latency=100), [10, 11], "standalone question 1")
    a2 = state.log.log_answer(logged(1, mode="extractive", latency=300), [12], "q2")
    assert state.log.answer_of_message(1, 11) == a1 and state.log.answer_of_message(1, 99) is None
    assert state.log.turn(a1) == ("standalone question 1", "a.")
    assert state.log.recent_turns(1, 1, 3, 600) == [("standalone question 1", "a."), ("q2", "a.")]
    assert state.log.record_feedback(a1, 7, True) and state.log.record_feedback(
        a1, 7, False
    )  # changed vote
    assert state.log.record_feedback(a2, 8, True) and not state.log.record_feedback(999, 8, True)
    st = state.log.stats()
    assert st["questions"] == 2 and st["feedback"] == 2 and st["helpful_ratio"] == 0.5
    assert st["llm_share"] == 0.5 and st["latency_p95_ms"] == 300.0
    row = state.log.answer_row(a1)
    assert row is not None and row["question"] is None  # text is not logged by default


def test_a_vote_handled_late_never_replaces_a_later_one(state: State) -> None:
    """Votes carry Telegram's update id: 👎 (update 11) handled before 👍 (update 10) stays 👎."""
    a1 = state.log.log_answer(logged(1), [10], "q")
    state.log.record_feedback(a1, 7, False, update_id=11)
    state.log.record_feedback(a1, 7, True, update_id=10)  # the earlier flip, handled last
    assert state.log.stats()["helpful_ratio"] == 0.0
    state.log.record_feedback(a1, 7, True, update_id=12)
    assert state.log.stats()["helpful_ratio"] == 1.0


def test_text_logging_is_opt_in(database_url: str) -> None:
    s = State.open(database_url, log_text=True)
    aid = s.log.log_answer(logged(3), [1], "q?")
    assert s.log.answer_row(aid)["question"] == "q?"  # type: ignore[index]
    s.close()


def test_shared_rate_limits_notice_once(database_url: str) -> None:
    now = [1000.0]
    a = RateLimiter(State.open(database_url).windows, 2, 100, 60.0, clock=lambda: now[0])
    b = RateLimiter(
        State.open(database_url).windows, 2, 100, 60.0, clock=lambda: now[0]
    )  # another process
    assert [a.check(1, 1), b.check(1, 1)] == [Verdict.OK, Verdict.OK]
    assert [a.check(1, 1), b.check(1, 1), a.check(1, 1)] == [
        Verdict.NOTIFY,
        Verdict.SILENT,
        Verdict.SILENT,
    ]
    assert b.check(2, 2) is Verdict.OK  # someone else
    now[0] += 61
    assert a.check(1, 1) is Verdict.OK  # the window moved on
    a.store.db.close(), b.store.db.close()  # type: ignore[attr-defined]


def test_each_update_is_claimed_once_even_under_contention(database_url: str) -> None:
    states = [State.open(database_url) for _ in range(4)]
    wins: list[tuple[int, int]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for uid in range(50):
            if states[n].inbox.claim_update(uid, f"host:{n}:0", {"update_id": uid}):
                with lock:
                    wins.append((uid, n))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(uid for uid, _ in wins) == list(range(50))
    s = states[0]
    owner = dict(wins)[7]
    s.inbox.finish_update(7)
    unfinished = {u for u, *_ in s.inbox.unfinished_updates()}
    assert 7 not in unfinished and len(unfinished) == 49
    other = dict(wins)[8]
    assert s.inbox.take_over_update(8, f"host:{other}:0", "me:1:1")
    assert not s.inbox.take_over_update(8, f"host:{other}:0", "me:2:2")  # one winner
    assert owner is not None
    for st in states:
        st.close()


def test_database_url_forms(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert database_url("", tmp_path) == f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    assert database_url("postgres://u:p@h/db", tmp_path) == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgresql://u@h:5/db", tmp_path) == "postgresql+psycopg://u@h:5/db"


def _open_together(url: str, openers: int) -> list[BaseException]:
    """What `openers` threads opening the state at once raised."""
    errors: list[BaseException] = []

    def open_state() -> None:
        try:
            State.open(url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_state) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_processes_starting_together_create_the_schema_once(database_url: str) -> None:
    errors = _open_together(database_url, 6)
    assert not errors, errors[:2]


def test_a_restart_with_the_same_pid_in_the_same_second_takes_its_predecessors_work_over(
    state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container whose bot is pid 1 on a stable hostname, restarted within the second: the new
    run must not mistake its predecessor's claim for its own (it once did, and an upload cut
    short by the restart was never finished)."""
    import time

    from bot.store.inbox import process_owner

    with monkeypatch.context() as frozen:  # one second, one pid, one host: both starts
        frozen.setattr(time, "time", lambda: 1_796_435_068.0)
        before, after = process_owner(), process_owner()
    assert before != after
    assert state.inbox.claim_update(1, before, {"update_id": 1})
    assert state.inbox.orphaned(after) == [(1, {"update_id": 1})]
    assert state.inbox.orphaned(after) == []  # now ours: taken once


def test_a_live_run_keeps_its_claims_and_a_silent_one_loses_them(state: State) -> None:
    """Runs of this process that still handle updates keep their claims; another host's claim
    is taken over only once its run stopped renewing it for longer than the lease."""
    import time

    from bot.store.inbox import LEASE_SECONDS, begin_run, end_run, process_owner

    me, neighbour = process_owner(), process_owner()
    begin_run(neighbour)  # another Application in this very process, still running
    try:
        assert state.inbox.claim_update(1, neighbour, {"update_id": 1})
        assert state.inbox.orphaned(me) == []
    finally:
        end_run(neighbour)
    assert [u for u, _ in state.inbox.orphaned(me)] == [1]  # stopped: its work is ours

    far = "elsewhere:1:0123abcd:feedfacefeedface"  # a process on another host
    assert state.inbox.claim_update(2, far, {"update_id": 2})
    later = time.time() + LEASE_SECONDS + 5
    assert state.inbox.renew(far) == 1  # alive: it renews while it works
    assert state.inbox.orphaned(me, now=time.time() + LEASE_SECONDS / 2) == []
    assert [u for u, _ in state.inbox.orphaned(me, now=later)] == [2]  # silent past the lease


def test_claims_named_by_the_previous_release_are_still_taken_over(state: State) -> None:
    """`host:pid:second` claims of a process on this host that is gone (an upgrade's restart)."""
    import os

    from bot.store.inbox import process_owner

    old = f"{os.uname().nodename}:{os.getpid()}:1796435068"  # this pid, an earlier process
    assert state.inbox.claim_update(3, old, {"update_id": 3})
    assert [u for u, _ in state.inbox.orphaned(process_owner())] == [3]


def test_many_processes_starting_on_a_new_sqlite_file_all_open_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two openers that both find a migration missing both record it; the second used to fail
    with the name's UNIQUE constraint (a quarter of such rounds did). It tries again instead."""
    for n in range(15):
        errors = _open_together(f"sqlite:///{tmp_path / f'bot{n}.sqlite3'}", 8)
        assert not errors, (n, errors[:1])
