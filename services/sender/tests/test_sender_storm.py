"""After a Graph API storm the sender follows Meta's recovery: the refusals of one 130429 burst are
one strike, not one each; after a hold one probe call decides instead of the whole backlog; an
open circuit waits longer with each failed trial and is short again once the API answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tasklane_sender import holds
from tasklane_sender.pacing import ensure_numbers
from tasklane_sender.tables import number_states
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID

THROUGHPUT_REFUSED = 130429


def _refused(harness: Any) -> list[Any]:
    return [a for a in harness.sim.attempts() if a.code == THROUGHPUT_REFUSED]


async def _number_state(harness: Any, app: Any) -> Any:
    async with harness.runtime(app).db.read() as session:
        s = number_states
        return (await session.execute(select(s).where(s.c.phone_number_id == DEFAULT_PHONE_NUMBER_ID))).one()


async def test_the_concurrent_refusals_of_one_burst_from_two_replicas_are_one_strike(harness: Any) -> None:
    replies = [harness.reply(harness.phone()) for _ in range(6)]
    harness.sim.fail_next(len(replies), THROUGHPUT_REFUSED)
    # A first hold long enough to look at it; three messages in flight per replica, so the burst's
    # refusals settle in (at least) two transactions, one per replica.
    settings = {"backoff_initial_s": 5.0, "throttle_max_s": 60.0, "dispatch_batch": 3}
    # A slow Graph API, so that both replicas have claimed their three before the first refusal is
    # answered, however busy the host: that is the burst. (A send claimed after the strike would be
    # the probe, and its refusal rightly a second strike.)
    slow = harness.sim.settings.response_delay_s
    harness.sim.settings.response_delay_s = 1.5
    try:
        async with harness.start(**settings) as one, harness.start(**settings) as two:
            await harness.publish(one, *replies)

            await harness.settled(lambda: len(_refused(harness)) >= len(replies), timeout=10)
            for reply in replies:  # every refusal settled
                await harness.reaches(one, reply.payload["reply_id"], "queued")
            state = await _number_state(harness, one)
            # The operator lifts the hold, as after Meta lifted it: every reply then goes.
            async with harness.runtime(one).db.transaction() as session:
                await holds.lift_hold(session, DEFAULT_PHONE_NUMBER_ID, now=datetime.now(UTC))
            one.state.dispatcher.notify()
            two.state.dispatcher.notify()
            for reply in replies:
                message = await harness.reaches(one, reply.payload["reply_id"], "sent")
                assert message.attempts == 1  # a rate limit is no fault of the message
    finally:
        harness.sim.settings.response_delay_s = slow
    # Six refusals from two replicas, of sends all claimed before the first was settled: one burst.
    assert state.throttle_strikes == 1
    assert state.hold_code == THROUGHPUT_REFUSED


async def test_during_a_throughput_storm_one_probe_per_hold_goes_not_the_backlog(harness: Any) -> None:
    replies = [harness.reply(harness.phone()) for _ in range(40)]
    storm_s, initial_s = 2.0, 0.1
    async with harness.start(backoff_initial_s=initial_s, throttle_max_s=0.4) as app:
        harness.sim.storm(str(THROUGHPUT_REFUSED), storm_s)
        await harness.publish(app, *replies)
        for reply in replies:
            await harness.reaches(app, reply.payload["reply_id"], "sent", timeout=20)
        state = await _number_state(harness, app)
    # The first burst (each message at most once: they were in flight together), then one probe
    # per hold, each at least backoff_initial_s long. Sending the backlog after every hold would
    # have been refused 40 times per hold.
    assert len(_refused(harness)) <= len(replies) + storm_s / initial_s + 1
    # The last probe was accepted: the number sends at its full rate again, its strikes reset.
    assert state.probe_until is None
    assert state.throttle_strikes == 0
    assert harness.sim.limit_violations() == []
    assert harness.sim.duplicates() == []


async def test_a_refusal_of_a_send_claimed_before_the_last_strike_is_no_new_strike(harness: Any) -> None:
    async with harness.start() as app:
        db = harness.runtime(app).db
        pnid = f"storm-{harness.run_id[-8:]}"
        kw: dict[str, Any] = {
            "code": THROUGHPUT_REFUSED,
            "reason": "throughput",
            "initial_s": 1.0,
            "max_s": 8.0,
        }
        async with db.transaction() as session:
            await ensure_numbers(session, [pnid], datetime.now(UTC))
        async with db.transaction() as session:
            first = await holds.throttle(session, pnid, now=datetime.now(UTC), seen={None}, **kw)
        async with db.transaction() as session:
            # Claimed, like the first, before any throttle: the same burst.
            same_burst = await holds.throttle(session, pnid, now=datetime.now(UTC), seen={None}, **kw)
            row = (
                await session.execute(select(number_states).where(number_states.c.phone_number_id == pnid))
            ).one()
        async with db.transaction() as session:
            # Claimed after the first strike (the probe): news.
            second = await holds.throttle(session, pnid, now=datetime.now(UTC), seen={row.throttled_at}, **kw)
            after = (
                await session.execute(select(number_states).where(number_states.c.phone_number_id == pnid))
            ).one()
    assert first is not None
    assert same_burst is None
    assert row.throttle_strikes == 1
    assert second is not None
    assert second > first
    assert after.throttle_strikes == 2
    assert after.probe_until is not None


async def test_an_open_circuit_waits_longer_after_each_failed_trial_and_costs_no_pair_rate(
    harness: Any,
) -> None:
    replies = [harness.reply(harness.phone()) for _ in range(5)]
    outage_s, reset_s, reset_max_s = 3.0, 0.1, 0.4
    # Each round of the outage claims every message again and sends none: a round must not use
    # up a slot of its recipient's pair rate (a minute each here, three in a burst), or the
    # replies would wait minutes after the Graph API came back.
    async with harness.start(
        breaker_fail_max=2,
        breaker_reset_s=reset_s,
        breaker_reset_max_s=reset_max_s,
        max_attempts=3,
        pair_interval_s=60.0,
        pair_burst=3,
    ) as app:
        harness.sim.storm("5xx", outage_s)
        await harness.publish(app, *replies)
        for reply in replies:
            await harness.reaches(app, reply.payload["reply_id"], "sent", timeout=20)
        breaker = app.state.dispatcher.graph._breakers[DEFAULT_PHONE_NUMBER_ID]
    refused = [a for a in harness.sim.attempts() if not a.accepted]
    # The first calls (all five in flight together) open it; then trials after 0.1, 0.2, 0.4,
    # 0.4... s. A fixed 0.1 s would have made some thirty trials during the outage.
    assert len(refused) <= len(replies) + 2 + outage_s / reset_max_s + 1
    # The API answered: the next outage starts again with the short wait.
    assert breaker.reset_s == reset_s
